"""Translated-segments stream: delivery to the listeners of one language."""
