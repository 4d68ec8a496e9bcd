#!/usr/bin/env python3
"""``python runner.py ARGS`` is the same as ``conformance ARGS``."""

from conformance.cli import main

if __name__ == "__main__":
    main()
