"""One transport seam per protocol, each with an in-memory twin for tests."""
