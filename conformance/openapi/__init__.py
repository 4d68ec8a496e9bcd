"""OpenAPI documents: loading within bounds, validating, and exercising operations with schemathesis."""
