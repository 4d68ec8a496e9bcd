"""The ``conformance`` command: parse, configure, call, map to exit codes. Nothing else lives here.

One module per command group, each registering on :data:`conformance.cli.common.main` when imported here;
the command modules import ``common`` (and ``browse`` imports ``records`` for the ``org`` group), never
this package, so there is no import cycle.
"""

from conformance.cli import (  # noqa: F401  (imported to register their commands)
    barcode,
    browse,
    campaign,
    cleanup,
    evidence,
    records,
    run,
    sandbox,
    service,
    suites,
    validate,
)
from conformance.cli.common import main

__all__ = ["main"]
