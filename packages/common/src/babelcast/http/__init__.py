"""API Gateway HTTP API (payload format 2.0) plumbing shared by HTTP functions."""
