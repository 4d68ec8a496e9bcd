"""Every exception the harness raises on purpose, in one tree, and the exit code each one maps to.

Our exception hierarchy::

    BaseException
    ├── Verdict                  a check ended early with its verdict (not an error: see below)
    │   ├── CheckFailed          the system under test broke the rule the check verifies -> fail
    │   └── CheckSkipped         a precondition is not met                                -> skip
    └── Exception
        ├── ExchangeBroken       talking to the system under test broke                   -> error
        │   └── HarnessLacks     the harness lacks what it needs to judge                 -> error
        └── HarnessError         the command cannot do what it was asked                  exit 3
            ├── UsageError       the command line names what does not exist               exit 2
            │   └── SelectionError (runner/plan.py)
            ├── ConfigError      a file or setting the harness was given cannot be used   exit 2
            │   ├── TargetError (targets.py), StoreError, SigningKeyError, ReportError
            │   └── InputError, ModelError, RequirementsError (maturity/), NotSandboxError
            └── TargetUnreachable  a declared endpoint did not answer; nothing was run    exit 3
                └── UnreachableError (runner/probe.py)

Verdicts derive from ``BaseException``, as pytest's outcomes do, so that no suite's broad
``except Exception`` (around a library that raises plain exceptions) can swallow a fail or a skip
and turn it into a pass. Only the runner catches them, by name.

The exit codes (DESIGN.md section 3) live here and nowhere else: :func:`exit_code` maps an exception
to one, and the CLI's guard calls it.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # the shell's own code for a process ended by SIGINT (128 + 2)
EXIT_TERMINATED = 143  # ... and by SIGTERM (128 + 15)
EXIT_BROKEN_PIPE = 141  # ... and by SIGPIPE (128 + 13): the reader of its output went away


class Verdict(BaseException):
    """A check's early ending with a verdict; its message is the verdict's sentence."""


class CheckFailed(Verdict):
    """The system under test broke the rule the check verifies."""


class CheckSkipped(Verdict):
    """A precondition is not met: the target does not claim the capability, or a needed check failed."""


class ExchangeBroken(Exception):
    """Talking to the system under test broke (refused, reset, timed out, oversized): an ``error``.

    Transports raise subclasses whose message is already a full sentence, so it is reported as is.
    """


class HarnessLacks(ExchangeBroken):
    """The harness lacks something it needs to judge (a definition, a setting, a reader for a body): an
    ``error`` whose message says what is missing and how to supply it, never a ``fail`` of the system.

    A subclass of ExchangeBroken only so that the runner reports its sentence as is."""


class HarnessError(Exception):
    """The command cannot do what it was asked; the message is one line saying why (no traceback)."""

    exit_code = EXIT_HARNESS


class UsageError(HarnessError):
    """The command line asks for something that does not exist (a suite, a pattern, a flag's value)."""

    exit_code = EXIT_USAGE


class ConfigError(HarnessError):
    """A file or setting the harness was given cannot be used: one line naming the file and the key."""

    exit_code = EXIT_USAGE


class TargetUnreachable(HarnessError):
    """A declared endpoint did not answer before the run: nothing was run or stored."""

    exit_code = EXIT_HARNESS


def exit_code(exc: BaseException) -> int:
    """The process exit code for an exception that ended a command."""
    if isinstance(exc, HarnessError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_HARNESS
