"""The ``conformance`` command: parse, configure, call, map to exit codes. Nothing else lives here.

Exit codes (DESIGN.md): 0 all required checks passed / input valid; 1 failures found; 2 usage or
configuration error, with one line and no traceback; 3 the harness itself failed (or the run was
aborted: the target stopped answering, the run deadline passed); 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from conformance import __version__
from conformance.runner.probe import UnreachableError
from conformance.session import EXIT_HARNESS, EXIT_USAGE, RunOptions, RunOutcome, execute


def _usage_errors() -> tuple[type[Exception], ...]:
    from conformance.evidence.keys import SigningKeyError
    from conformance.evidence.store import StoreError
    from conformance.reporting import ReportError
    from conformance.runner import SelectionError
    from conformance.targets import TargetError

    return (TargetError, SelectionError, StoreError, ReportError, SigningKeyError)


def _say(message: str) -> None:
    """One line on stderr, scrubbed of every secret the run met (an exception may quote one)."""
    from conformance.scrub import RUN

    click.echo(RUN.text(message), err=True)


def _guard(fn: Callable[[], int]) -> None:
    """Run a command body; turn every failure into a message and an exit code, never a traceback."""
    try:
        code = fn()
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except _usage_errors() as exc:
        _say(f"conformance: {exc}")
        code = EXIT_USAGE
    except UnreachableError as exc:
        _say(f"conformance: {exc}")
        code = EXIT_HARNESS
    except KeyboardInterrupt:
        click.echo("conformance: interrupted", err=True)
        code = 130
    except BrokenPipeError:
        # The reader went away (`conformance suites list | head`): not an error of ours to report.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except Exception as exc:
        if os.environ.get("CONFORMANCE_DEBUG"):
            raise
        _say(f"conformance: internal error: {type(exc).__name__}: {exc} (set CONFORMANCE_DEBUG=1 for a traceback)")
        code = EXIT_HARNESS
    sys.exit(code)


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Selection and output options shared by ``run`` and ``demo``."""
    options = [
        click.option("--suite", "suites", multiple=True, metavar="ID", help="Run only this suite (repeatable)."),
        click.option("--select", multiple=True, metavar="PATTERN",
                     help="Run checks whose id matches a glob or dotted prefix (repeatable)."),
        click.option("--out", "out_dir", type=click.Path(path_type=Path),
                     help="Report directory (default reports/<run-id>/)."),
        click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the JSON report here."),
        click.option("--junit", "junit_path", type=click.Path(path_type=Path), help="Also write JUnit XML here."),
        click.option("--html", "html_path", type=click.Path(path_type=Path), help="Also write the HTML report here."),
        click.option("--testreport", "testreport_path", type=click.Path(path_type=Path),
                     help="Also write FHIR R4 TestReport resources (a collection Bundle) here."),
        click.option("--store", "store_url", metavar="URL",
                     help="Evidence store (SQLAlchemy URL; default sqlite:///reports/conformance.db)."),
        click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64),
                     help="Checks in flight at once against the target."),
        click.option("--timeout", "check_timeout", default=60.0, show_default=True, type=click.FloatRange(0.1),
                     help="Seconds one check may take."),
        click.option("--deadline", type=click.FloatRange(0.1), metavar="SECONDS",
                     help="Stop the run after this long: unfinished checks end error, the run is stored "
                          "aborted (default: the target's [run] deadline, else none)."),
        click.option("-v", "--verbose", is_flag=True, help="Print every check as it finishes."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _options(kw: dict[str, Any]) -> RunOptions:
    return RunOptions(
        suites=list(kw["suites"]),
        select=list(kw["select"]),
        out_dir=kw["out_dir"],
        json_path=kw["json_path"],
        junit_path=kw["junit_path"],
        html_path=kw["html_path"],
        testreport_path=kw["testreport_path"],
        store_url=kw["store_url"],
        concurrency=kw["concurrency"],
        check_timeout=kw["check_timeout"],
        deadline=kw["deadline"],
        verbose=kw["verbose"],
    )


def _finished(outcome: RunOutcome) -> int:
    """Say, in one line each, what a run that did not finish cleanly left behind; the exit code."""
    for note in outcome.notes:
        click.echo(f"conformance: {note}", err=True)
    if outcome.notes:  # a clean-up cut short: say how to finish it
        run = outcome.result.run
        source = str(run.target.get("source", "TARGET"))
        flag = " --sandbox" if run.target.get("sandbox") and "://" in source else ""
        click.echo(f"conformance: `conformance cleanup --target {source}{flag} --run {run.id}` finds and deletes "
                   f"what run {run.id} left", err=True)
    if outcome.stopped is not None:
        click.echo(f"conformance: run {outcome.result.run.id} aborted: {outcome.stopped.reason}; reports of what "
                   f"ran in {outcome.report_dir}; stored as aborted (kept, never scored)", err=True)
    return outcome.exit_code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conformance")
def main() -> None:
    """Test health IT systems for interoperability and keep the evidence."""


@main.command()
@click.option("--target", required=True, metavar="FILE|URL", help="A target TOML file or a FHIR base URL.")
@click.option("--sandbox", is_flag=True,
              help="Mark the target as a sandbox: allow checks that create, update and delete data.")
@click.option("--package", "packages", multiple=True, metavar="PATH|ID#VERSION",
              help="Definitions for claimed profiles: a FHIR package (.tgz or folder) or id#version from the FHIR "
                   "package cache (repeatable; added to the target's claims.packages).")
@run_options
def run(target: str, sandbox: bool, packages: tuple[str, ...], **kw: Any) -> None:
    """Run suites against a system under test."""

    def body() -> int:
        from conformance.targets import add_packages, resolve

        resolved = resolve(target, sandbox=sandbox)
        if packages:
            add_packages(resolved, list(packages))
        return _finished(execute(resolved, _options(kw)))

    _guard(body)


@main.command()
@click.option("--fault", "faults", multiple=True, metavar="NAME[=VALUE]",
              help="Switch on a sandbox fault to see checks fail (repeatable; "
                   "see `conformance sandbox --list-faults`).")
@run_options
def demo(faults: tuple[str, ...], **kw: Any) -> None:
    """Start the built-in sandbox on loopback and run the suites against it."""

    def body() -> int:
        from conformance.sandbox.faults import parse_faults
        from conformance.sandbox.hl7v2 import sandbox_hl7v2_settings
        from conformance.sandbox.hl7v2.server import MllpSandbox
        from conformance.sandbox.server import SandboxServer
        from conformance.targets import Organisation, SystemInfo, from_url

        try:
            active = parse_faults(list(faults))
        except ValueError as exc:
            click.echo(f"conformance: --fault: {exc}", err=True)
            return EXIT_USAGE
        from conformance.reporting.console import make_console

        console = make_console()
        with SandboxServer(active) as server, MllpSandbox(active) as mllp:
            target = from_url(server.base_url, sandbox=True)
            target.name = "conformance sandbox" + (f" (faults: {', '.join(faults)})" if faults else "")
            target.organisation = Organisation(ods_code="X26", name="Demo Sandbox Trust", kind="provider")
            target.system = SystemInfo(vendor="conformance", product="sandbox", version=__version__)
            target.endpoints["mllp"] = mllp.address
            target.hl7v2 = sandbox_hl7v2_settings()
            target.hl7v2.trigger = server.base_url.removesuffix("/fhir") + "/sandbox/hl7v2/send"
            from conformance.sandbox.api import configure_target

            configure_target(target, server.base_url.removesuffix("/fhir"))  # its booking API and OAuth2 server
            from conformance.sandbox.realtime.settings import sandbox_realtime_settings

            target.realtime = sandbox_realtime_settings(server.base_url)
            from conformance.sandbox.bedside_settings import sandbox_bedside_settings

            target.bedside = sandbox_bedside_settings()  # the sandbox is an eMAR (gs1-bedside match checks)
            console.print(f"sandbox listening on {server.base_url} and MLLP {mllp.address}")
            options = _options(kw)
            outcome = execute(target, options, console)
        if outcome.stopped is None:  # an aborted run adds nothing to the record
            from conformance.cli_records import demo_record

            for path in demo_record(options.store_url, outcome.report_dir):
                console.print(f"maturity record: {path}")
        click.echo(str(outcome.report_dir / "report.html"))
        return _finished(outcome)

    _guard(body)


@main.group()
def suites() -> None:
    """Inspect the shipped suites."""


@suites.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def suites_list(as_json: bool) -> None:
    """Every suite and check with id, title, requirements, capabilities."""

    def body() -> int:
        from conformance.runner import load_suites

        registry = load_suites()
        described = [s.describe() for s in registry.suites.values()]
        if as_json:
            click.echo(json.dumps(described, indent=2))
        else:
            for s in described:
                click.echo(f"{s['id']}  {s['title']}  ({len(s['checks'])} checks)")
                for c in s["checks"]:
                    flag = "" if c["required"] else "  [optional]"
                    tags = "; ".join(x for x in (", ".join(c["requirements"]), ", ".join(c["capabilities"])) if x)
                    click.echo(f"  {c['id']}  {c['title']}{flag}{f'  ({tags})' if tags else ''}")
        return 0

    _guard(body)


@main.group()
def validate() -> None:
    """Validate data offline against a standard or profile: exit 0 valid, 1 invalid, 2 usage."""


# ---- validate gs1 (issue 6) -------------------------------------------------------------------------


@validate.command("gs1")
@click.argument("text", required=False)
@click.option("--file", "file_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Validate each line of this file (GS characters kept); results in input order.")
@click.option("--json", "as_json", is_flag=True, help="Print {valid, ais, outcome} as JSON (an array for --file).")
@click.option("--to", "to_form", type=click.Choice(["bracketed", "unbracketed", "digital-link"]),
              help="Also write valid data in this form (JSON: a \"converted\" field).")
@click.option("--dictionary", "dictionary", type=click.Path(path_type=Path, dir_okay=False),
              help="Use this GS1 Syntax Dictionary file instead of the shipped AI table.")
@click.option("--form", "declared", type=click.Choice(["auto", "scanner", "bracketed", "digital-link"]),
              default="auto", show_default=True,
              help="The form the data claims to be: scanner output (symbology identifier, GS separators, no "
              "brackets), bracketed HRI text, a Digital Link URI, or auto (inferred).")
@click.option("--symbology-id/--no-symbology-id", "symbology_required", default=True, show_default=True,
              help="With --form scanner: the system's scanners are configured to send an AIM symbology "
              "identifier (]d2, ]C1, ]E0...), so a scan without one is an error.")
def validate_gs1(text: str | None, file_path: Path | None, as_json: bool, to_form: str | None,
                 dictionary: Path | None, declared: str, symbology_required: bool) -> None:
    """Validate GS1 data: bracketed (01)..., scanner data with GS separators (]d2...), or a Digital Link URI.

    Unbracketed data may be typed with ^ for each FNC1/GS separator: ^0109501101530003^10AB12
    (not with --form scanner: a scanner sends GS).
    """

    def body() -> int:
        from conformance.gs1 import AiTable, ConversionError, DictionaryError, convert, load_dictionary, validate

        if (text is None) == (file_path is None):
            click.echo("conformance: validate gs1: give either TEXT or --file PATH", err=True)
            return EXIT_USAGE
        table: AiTable | None = None
        try:
            if dictionary is not None:
                table = load_dictionary(dictionary)
            if file_path is not None:
                raw = file_path.read_bytes().decode("utf-8", errors="replace")
                lines = raw.split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                inputs = [(f"line {n}", line.removesuffix("\r")) for n, line in enumerate(lines, 1)]
            else:
                inputs = [("", text or "")]
        except (OSError, DictionaryError) as exc:
            click.echo(f"conformance: validate gs1: {exc}", err=True)
            return EXIT_USAGE
        rows: list[dict[str, Any]] = []
        all_valid = True
        for ident, data in inputs:
            result = validate(data, table, form=declared, symbology_required=symbology_required)
            row = result.to_dict()
            all_valid &= result.valid
            if to_form and result.valid:
                try:
                    row["converted"] = {to_form: convert(data, to_form, table=table)}
                except ConversionError as exc:
                    row["converted"] = {"error": str(exc)}
            if as_json:
                rows.append({"id": ident, "input": data, **row} if file_path is not None else row)
                continue
            prefix = f"{ident}: " if ident else ""
            verdict = "valid" if result.valid else "invalid"
            click.echo(f"{prefix}{verdict}: {json.dumps(result.ais)}" if result.ais else f"{prefix}{verdict}")
            if result.carrier is not None:
                shown = ", ".join(f"{k} {v}" for k, v in result.carrier.to_dict().items() if k != "symbology")
                click.echo(f"{prefix}  carrier {result.carrier.symbology}: {shown}")
            for issue in result.issues:
                click.echo(f"{prefix}  {issue.line()}")
            for form, converted in row.get("converted", {}).items():
                click.echo(f"{prefix}  {form}: {converted!r}" if form != "error" else f"{prefix}  {converted}")
        if as_json:
            click.echo(json.dumps(rows if file_path is not None else rows[0], indent=2, ensure_ascii=False))
        return 0 if all_valid else 1

    _guard(body)

# ---- end validate gs1 --------------------------------------------------------------------------------


@main.command()
@click.argument("text")
@click.option("-s", "--symbology", type=click.Choice(["datamatrix", "gs1-128", "qr"]), default="datamatrix",
              show_default=True, help="GS1 symbology to draw.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Image file to write; .png or .svg.")
@click.option("--scale", default=4, show_default=True, type=click.IntRange(1, 40), help="Pixels per module (PNG).")
def barcode(text: str, symbology: str, output: Path, scale: int) -> None:
    """Draw a GS1 test barcode of TEXT (validated first) for scanner or manual testing."""

    def body() -> int:
        from conformance.gs1.barcodes import render

        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("png", "svg"):
            click.echo(f"conformance: barcode: {output}: name a .png or .svg file", err=True)
            return EXIT_USAGE
        try:
            image = render(text, symbology, fmt, scale=scale)
        except ValueError as exc:
            click.echo(f"conformance: barcode: {exc}", err=True)
            return 1
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(image)
        click.echo(str(output))
        return 0

    _guard(body)


# ---- validate hl7v2 (issue 5) -----------------------------------------------------------------------


@validate.command("hl7v2")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", "profile_ref", metavar="ID|PATH",
              help="Message profile: an id under profiles/hl7v2/ (e.g. nhs-adt-a01) or a .toml file.")
@click.option("--json", "as_json", is_flag=True,
              help="Print an OperationOutcome (an array with an \"id\" per message when there are several).")
def validate_hl7v2(paths: tuple[Path, ...], profile_ref: str | None, as_json: bool) -> None:
    """Validate HL7 v2 messages (files of one or more messages, ER7) against the standard and a profile.

    Every problem is reported with its location (PID-8, PID-3[2].4, OBX[3]-5). Exit 0 when every
    message is valid, 1 when any is not, 2 for a usage error such as an unknown profile.
    """

    def body() -> int:
        from conformance.hl7v2 import ProfileError, load_profile, split_messages, validate

        try:
            profile = load_profile(profile_ref) if profile_ref else None
        except ProfileError as exc:
            click.echo(f"conformance: validate hl7v2: {exc}", err=True)
            return EXIT_USAGE
        inputs: list[tuple[str, str]] = []
        for path in paths:
            try:
                messages = split_messages(path.read_bytes())
            except OSError as exc:
                click.echo(f"conformance: validate hl7v2: {path}: {exc.strerror or exc}", err=True)
                return EXIT_USAGE
            inputs += [(str(path) if len(messages) == 1 else f"{path}#{n}", m) for n, m in enumerate(messages, 1)]
        rows: list[dict[str, Any]] = []
        all_valid = True
        for ident, text in inputs:
            result = validate(text, profile)
            all_valid &= result.valid
            if as_json:
                rows.append({"id": ident, **result.to_outcome()} if len(inputs) > 1 else result.to_outcome())
                continue
            click.echo(f"{ident}: {result.summary()}")
            for issue in result.issues:
                click.echo(f"  {issue.line_text()}")
        if as_json:
            click.echo(json.dumps(rows if len(inputs) > 1 else rows[0], indent=2, ensure_ascii=False))
        return 0 if all_valid else 1

    _guard(body)

# ---- end validate hl7v2 ------------------------------------------------------------------------------


# ---- validate fhir (issue 4) ------------------------------------------------------------------------


@validate.command("fhir")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", "profiles", multiple=True, metavar="CANONICAL",
              help="Also validate against this profile (canonical URL; repeatable). meta.profile is always honoured.")
@click.option("--package", "packages", multiple=True, metavar="PATH",
              help="Load definitions from a FHIR package (.tgz or folder), a Bundle, or a folder (repeatable).")
@click.option("--extension-domain", "extension_domains", multiple=True, metavar="URL",
              help="Extensions under this URL prefix that no loaded package defines are information, not errors "
                   "(repeatable; 'any' for all; modifier extensions stay errors).")
@click.option("--json", "as_json", is_flag=True,
              help="Print an OperationOutcome (an array with an \"id\" per input when there are several).")
def validate_fhir(paths: tuple[Path, ...], profiles: tuple[str, ...], packages: tuple[str, ...],
                  extension_domains: tuple[str, ...], as_json: bool) -> None:
    """Validate FHIR R4 resources (JSON or XML files) against base R4 and profiles.

    Every problem is reported with a FHIRPath location (Patient.name[0].given[1]). Exit 0 when every
    input is valid, 1 when any is not, 2 for a usage error such as a package that cannot be loaded.
    """

    def body() -> int:
        from conformance.fhirval.validate import is_valid, summary, to_outcome, validate_bytes

        if packages:
            from conformance.fhirval.layered import load_definitions
            from conformance.fhirval.loaders import DefinitionLoadError

            try:
                source: Any = load_definitions(packages)
            except DefinitionLoadError as exc:
                click.echo(f"conformance: validate fhir: {exc}", err=True)
                return EXIT_USAGE
        else:
            from conformance.fhirval.base import base_source

            source = base_source()
        rows: list[dict[str, Any]] = []
        all_valid = True
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                click.echo(f"conformance: validate fhir: {path}: {exc.strerror or exc}", err=True)
                return EXIT_USAGE
            issues = validate_bytes(data, source, profiles, extension_domains=extension_domains)
            all_valid &= is_valid(issues)
            if as_json:
                outcome = to_outcome(issues)
                rows.append({"id": str(path), **outcome} if len(paths) > 1 else outcome)
                continue
            click.echo(f"{path}: {summary(issues)}")
            for issue in issues:
                click.echo(f"{path}: {issue.line()}")
        if as_json:
            click.echo(json.dumps(rows if len(paths) > 1 else rows[0], indent=2, ensure_ascii=False))
        return 0 if all_valid else 1

    _guard(body)

# ---- end validate fhir -------------------------------------------------------------------------------


# Commands defined in their own modules register themselves on `main` when imported.
import conformance.campaign.cli  # noqa: E402
import conformance.cli_browse  # noqa: E402
import conformance.cli_cleanup  # noqa: E402
import conformance.cli_records  # noqa: E402
import conformance.cli_sandbox  # noqa: E402, F401

if __name__ == "__main__":
    # `python -m conformance.cli`: the commands above register on conformance.cli's own `main` (imported
    # as a module by cli_records and cli_cleanup), not on this __main__ copy's; run that one.
    from conformance.cli import main as registered

    registered()
