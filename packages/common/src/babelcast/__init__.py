"""Babelcast shared package."""
