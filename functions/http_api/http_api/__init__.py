"""HTTP session API function."""
