"""``python -m conformance.cli``: the same command as the ``conformance`` console script."""

from conformance.cli import main

if __name__ == "__main__":
    main()
