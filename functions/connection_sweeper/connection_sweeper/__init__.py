"""Scheduled sweep: stale connections, refresh notices, expired sessions."""
