"""The harness as an OAuth2 / SMART client (token flows through the evidence-recording transport)."""
