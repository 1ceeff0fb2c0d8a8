"""The local stack (development and integration tests only; never deployed)."""
