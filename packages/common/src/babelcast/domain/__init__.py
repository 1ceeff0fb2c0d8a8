"""Business rules. Knows nothing of API Gateway; reaches AWS only through the integration layer's
interfaces, which tests can replace."""
