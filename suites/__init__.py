"""Shipped conformance suites. Each sub-package registers one suite and its checks when imported."""
