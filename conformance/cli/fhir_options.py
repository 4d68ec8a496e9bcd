"""The FHIR validator's switches as ``conformance validate fhir`` flags: one decorator, one Options built from them.

Each flag is HL7's validator's CLI option of the same meaning (named in its help); all are off by default,
so a plain ``validate fhir`` judges as before. Kept apart from validate.py so that the command reads as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from conformance.fhirval.options import (
    BEST_PRACTICE_LEVELS,
    CONTAINED_POLICIES,
    HTML_IN_MARKDOWN,
    REFERENCE_POLICIES,
    SNOMED_EDITIONS,
    Options,
)
from conformance.fhirval.tx_client import server_base

F = TypeVar("F", bound=Callable[..., Any])


def _server_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--tx-server`` as the URL requests will go to (tx_client.server_base), or a usage error saying why not."""
    if value is None:
        return None
    try:
        return server_base(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_FLAGS = (
    click.option("--security-checks", "security_checks", is_flag=True,
                 help="A string or markdown value holding what looks like HTML tags is an error (HL7's "
                      "-security-checks)."),
    click.option("--html-in-markdown", "html_in_markdown", type=click.Choice(HTML_IN_MARKDOWN), default="ignore",
                 show_default=True, help="How markdown with embedded HTML is reported (HL7's -html-in-markdown)."),
    click.option("--contained", "contained", type=click.Choice(CONTAINED_POLICIES), default="valid",
                 show_default=True,
                 help="Resources inside another (contained, Bundle entries, Parameters): validated, only their type "
                      "checked, or passed over (HL7's validateContains policy)."),
    click.option("--example-urls/--no-example-urls", "allow_examples", default=True, show_default=True,
                 help="Whether example.org-style URLs (and extensions) pass unresolved; --no-example-urls makes them "
                      "errors (HL7's -allow-example-urls, which its CLI leaves off and its test runner on)."),
    click.option("--no-experimental-content", "no_experimental_content", is_flag=True,
                 help="A canonical resource marked experimental is an error (HL7's -no-experimental-content)."),
    click.option("--for-publication", "for_publication", is_flag=True,
                 help="HL7's own publication rules: an HL7 canonical resource must name its work group "
                      "(HL7's -forPublication)."),
    click.option("--assume-valid-rest-references", "assume_valid_rest_references", is_flag=True,
                 help="A reference that does not resolve here to a type the element does not allow (Group/1) is an "
                      "error, not a warning (HL7's -assumeValidRestReferences)."),
    click.option("--allow-comments", "allow_comments", is_flag=True,
                 help="JSON input may hold // and /* */ comments (HL7's -allow-comments)."),
    click.option("--crumb-trails", "crumb_trails", is_flag=True,
                 help="Say, as information, each profile a resource is validated against (HL7's -crumb-trails)."),
    click.option("--best-practice", "best_practice", type=click.Choice(BEST_PRACTICE_LEVELS), default="warning",
                 show_default=True, help="The level of a failed best-practice invariant (HL7's -best-practice)."),
    click.option("--validate-references", "validate_reference", type=click.Choice(REFERENCE_POLICIES),
                 default="ignore", show_default=True,
                 help="What is checked of a reference that resolves neither contained nor in its Bundle or "
                      "Parameters: check_exists and stronger look it up in --reference-folder and "
                      "--resolution-context (a missing one is an error); check_exists_and_type also judges its "
                      "type and aggregation, check_valid its target profiles (HL7's ReferenceValidationPolicy)."),
    click.option("--reference-folder", "reference_folders", type=click.Path(file_okay=False, exists=True),
                 multiple=True, help="A folder of local files references are looked up in (repeatable: the first "
                                     "that has one), named as HL7's test runner names them (Patient/x -> "
                                     "patient-x.json or .xml, then x.json); also read by slicing's resolve(), "
                                     "whatever the policy, as HL7's fetcher is; never a network call."),
    click.option("--resolution-context", "resolution_context", type=click.Path(file_okay=False, exists=True),
                 default=None, help="A folder references are also looked up in, after --reference-folder, as "
                                    "HL7's CLI looks in its -resolution-context file:DIR (the name as given, "
                                    "Type-id.json or .xml with the case kept, then the folder's files scanned for "
                                    "the type and id); never a network call."),
    click.option("--aggregation-outside-bundles/--no-aggregation-outside-bundles",
                 "enforce_aggregation_outside_bundles", default=True, show_default=True,
                 help="Whether a profile's 'bundled' aggregation binds outside a Bundle too (R4's reading; "
                      "HL7's enforceAggregationOutsideBundles)."),
    click.option("--tx-cache", "tx_cache", type=click.Path(file_okay=False, exists=True), default=None,
                 help="A folder of HL7's recorded terminology-server answers (the txCache format of HL7's test "
                      "runner, e.g. org.hl7.fhir.validation/src/test/resources/txCache/org.hl7.fhir.validation/"
                      "4.0.1), consulted where no code system or value set held here decides; a request it does "
                      "not hold stays unjudged. Never a network call."),
    click.option("--tx-server", "tx_server", metavar="URL", default=None, callback=_server_url,
                 help="A FHIR terminology server asked $validate-code where nothing held here (nor --tx-cache) "
                      "decides (HL7's -tx). Off by default: without it the validator makes no network call. "
                      "http:// becomes https:// (loopback aside); a URL with credentials is refused."),
    click.option("--sct", "sct", type=click.Choice(sorted(SNOMED_EDITIONS)), default=None,
                 help="The SNOMED CT edition the terminology service is asked in (HL7's -sct; its module id is sent "
                      "as the system-version expansion parameter)."),
    click.option("--codesystem-validation-size-limit", "code_system_validation_size_limit",
                 type=click.IntRange(min=0), default=1000, show_default=True,
                 help="A ValueSet include or a CodeSystem supplement with more concepts than this has none of them "
                      "checked, information saying so instead; 0: no limit (HL7's "
                      "-codesystem-validation-size-limit)."),
)
SWITCHES = ("security_checks", "html_in_markdown", "contained", "allow_examples", "no_experimental_content",
            "for_publication", "best_practice", "assume_valid_rest_references", "crumb_trails",
            "allow_comments", "validate_reference", "reference_folders", "resolution_context",
            "enforce_aggregation_outside_bundles",
            "tx_cache", "tx_server", "sct", "code_system_validation_size_limit")


def option_flags(command: F) -> F:
    """The flags above, on a click command (its keyword arguments then include every name in SWITCHES)."""
    for flag in reversed(_FLAGS):
        command = flag(command)
    return command


def options_of(extension_domains: tuple[str, ...], wrong_displays: str, switches: dict[str, Any]) -> Options:
    return Options(extension_domains=extension_domains, wrong_displays=wrong_displays,
                   **{k: switches[k] for k in SWITCHES})
