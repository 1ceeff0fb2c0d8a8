"""The only layer that talks to AWS."""
