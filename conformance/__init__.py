"""conformance: interoperability conformance harness for health IT systems."""

__version__ = "0.1.0"
