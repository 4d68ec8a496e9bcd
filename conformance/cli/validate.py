"""``conformance validate gs1|hl7v2|fhir``: validate data offline; exit 0 valid, 1 invalid, 2 usage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from conformance.cli.common import guard, main
from conformance.cli.fhir_options import option_flags, options_of
from conformance.session import EXIT_USAGE
from conformance.validation import emit


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
        reports = []
        for ident, data in inputs:
            result = validate(data, table, form=declared, symbology_required=symbology_required)
            converted: dict[str, str] | None = None
            if to_form and result.valid:
                try:
                    converted = {to_form: convert(data, to_form, table=table)}
                except ConversionError as exc:
                    converted = {"error": str(exc)}
            reports.append(result.report(ident, data, converted))
        return emit(reports, as_json=as_json, many=file_path is not None, echo=click.echo)

    guard(body)

# ---- end validate gs1 --------------------------------------------------------------------------------


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
        reports = [validate(text, profile).report(ident) for ident, text in inputs]
        return emit(reports, as_json=as_json, many=len(inputs) > 1, echo=click.echo)

    guard(body)

# ---- end validate hl7v2 ------------------------------------------------------------------------------


# ---- validate fhir (issue 4) ------------------------------------------------------------------------


@validate.command("fhir")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", "profiles", multiple=True, metavar="CANONICAL",
              help="Also validate against this profile (canonical URL; repeatable). meta.profile is always honoured.")
@click.option("--package", "packages", multiple=True, metavar="PATH",
              help="Load definitions from a FHIR package (.tgz or folder, or id#version from the package cache), "
                   "a Bundle, or a folder (repeatable). Its dependencies come from the other packages given or the "
                   "package cache, never the network.")
@click.option("--package-cache", "package_cache", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="The FHIR package cache to find packages and dependencies in: <id>#<version> folders or "
                   "<id>-<version>.tgz archives (default $FHIR_PACKAGE_CACHE, else ~/.fhir/packages). HL7's "
                   "extensions package (hl7.fhir.uv.extensions.r4), when the cache holds it, is always loaded after "
                   "base R4, as HL7's validator loads it by default; without it, core-namespace extensions R4 lacks "
                   "are a warning. The HL7 Terminology package (hl7.terminology.r4, newest) is found there too, "
                   "unless $CONFORMANCE_TERMINOLOGY_PACKAGE names one; never fetched.")
@click.option("--extension-domain", "extension_domains", multiple=True, metavar="URL",
              help="Extensions under this URL prefix that no loaded package defines are information, not errors "
                   "(repeatable; 'any' for all; modifier extensions too, as HL7's -extension).")
@click.option("--wrong-displays", "wrong_displays", type=click.Choice(["warning", "error"]), default="warning",
              show_default=True,
              help="How a Coding's display that its code system (held locally) does not give is judged: 'error' as "
                   "HL7's validator does by default, 'warning' (ours: a display is for people, the code is what "
                   "systems act on).")
@option_flags
@click.option("--json", "as_json", is_flag=True,
              help="Print an OperationOutcome (an array with an \"id\" per input when there are several).")
def validate_fhir(paths: tuple[Path, ...], profiles: tuple[str, ...], packages: tuple[str, ...],
                  package_cache: Path | None, extension_domains: tuple[str, ...], wrong_displays: str,
                  as_json: bool, **switches: Any) -> None:
    """Validate FHIR R4 resources (JSON or XML files) against base R4 and profiles.

    Every problem is reported with a FHIRPath location (Patient.name[0].given[1]). Exit 0 when every
    input is valid, 1 when any is not, 2 for a usage error such as a package that cannot be loaded.
    HL7's extensions package is loaded from the package cache when it is there, as HL7's validator does;
    codes of HL7's own code systems are judged when the HL7 Terminology package is there (or named by
    $CONFORMANCE_TERMINOLOGY_PACKAGE), otherwise they are information. The switches after --wrong-displays
    are HL7's validator's options of the same meaning, all off by default.
    """
    options = options_of(extension_domains, wrong_displays, switches)

    def body() -> int:
        if package_cache:  # also where the HL7 Terminology package is looked for
            from conformance.fhirval.packages import PackageCache
            from conformance.fhirval.terminology_packages import use_package_cache

            cache = PackageCache(package_cache)
            before = use_package_cache(cache)
            try:
                return validate_with(cache)
            finally:  # in-process callers (tests, a host) get their own cache back
                use_package_cache(before)
        return validate_with(None)

    def validate_with(cache: Any) -> int:  # a PackageCache, or None: the default
        from conformance.fhirval.default_packages import with_defaults
        from conformance.fhirval.loaders import DefinitionLoadError
        from conformance.fhirval.validate import report, validate_bytes

        try:
            source: Any = with_defaults(packages, cache)
        except DefinitionLoadError as exc:
            click.echo(f"conformance: validate fhir: {exc}", err=True)
            return EXIT_USAGE
        reports = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                click.echo(f"conformance: validate fhir: {path}: {exc.strerror or exc}", err=True)
                return EXIT_USAGE
            issues = validate_bytes(data, source, profiles, options=options)
            reports.append(report(str(path), issues))
        return emit(reports, as_json=as_json, many=len(paths) > 1, echo=click.echo)

    guard(body)

# ---- end validate fhir -------------------------------------------------------------------------------
