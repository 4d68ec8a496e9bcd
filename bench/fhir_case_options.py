"""The options HL7's test runner sets per case (ValidationTests.java), as ours: which the agreement bench offers.

Split from bench/fhir_reference_agreement.py: a case that sets an option ours lacks, or a value ours does not
take, is left out of the measure and listed with the option; the ones ours has are passed on through Options.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.fhirval.options import Options, snomed_edition

# Options of HL7's validator, set per case (ValidationTests.java), that change what it reports. Those ours has
# (conformance/fhirval/options.py, with the values ours takes: _offered) are passed on through Options; a case
# setting any other is left out (and listed with the option): its expected outcome is not the default behaviour.
# allowed-extension-domain (our --extension-domain) is always passed on.
OPTIONS_NOT_OFFERED = ("security-checks", "validateReference", "validateContains", "allow-comments", "examples",
                       "r5-bundle-relative-reference-policy", "advisor", "noHtmlInMarkdown", "no-experimental-content",
                       "new-xver-mode", "assumeValidRestReferences", "best-practice", "wrong-displays", "language",
                       "for-publication", "crumb-trail", "enforceAggregationOutsideBundles", "ids-in-errors")
# validateContains: HL7's ContainedReferenceValidationPolicy -> Options.contained
CONTAINED = {"CHECK_VALID": "valid", "CHECK_TYPE": "type", "IGNORE": "ignore"}
BEST_PRACTICE = {"Ignore": "ignore", "Hint": "hint", "Warning": "warning", "Error": "error"}
# validateReference: HL7's ReferenceValidationPolicy -> Options.validate_reference (the runner's fetcher reads the
# case folder: ours reads the same files, reference_targets.fetch_file)
REFERENCE_POLICY = {"IGNORE": "ignore", "CHECK_TYPE_IF_EXISTS": "check_type_if_exists", "CHECK_EXISTS": "check_exists",
                    "CHECK_EXISTS_AND_TYPE": "check_exists_and_type", "CHECK_VALID": "check_valid"}
LATE_OPTIONS = ("validateReference", "enforceAggregationOutsideBundles")
# HL7's runner's fetcher answers Patient/test with an empty Patient before it looks in the case folder: this folder
# holds that one file, looked in first
RUNNER_FETCH = Path(__file__).resolve().parent / "hl7_runner_fetch"


def profile_options(options: Options, prof: dict[str, Any]) -> Options:
    """A profile step's options: the case's, but assumeValidRestReferences from the profile's own entry (HL7's runner
    sets it again before the profile step, false unless the profile says so)."""
    return replace(options, assume_valid_rest_references=prof.get("assumeValidRestReferences") is True)


def _offered(k: str, value: Any, t: dict[str, Any] | None = None) -> bool:
    """An option ours has, with a value ours takes (ValidationTests.java reads each: a boolean, the name of one of
    HL7's enum constants, or for noHtmlInMarkdown and for-publication the key's presence or "true").
    validateReference and enforceAggregationOutsideBundles are offered to a tuning (even-hash) case ``t`` only:
    their odd-hash cases were run as diagnostics before ours had them, so they cannot count as unseen."""
    if k in LATE_OPTIONS:
        return t is not None and "file" in t and not _held_out(t) and (
            value in REFERENCE_POLICY if k == "validateReference" else isinstance(value, bool))
    return ((k in ("examples", "security-checks", "no-experimental-content") and isinstance(value, bool))
            or (k == "wrong-displays" and value in ("warning", "error"))
            or (k == "assumeValidRestReferences" and isinstance(value, bool))
            or (k == "validateContains" and value in CONTAINED)
            or (k == "best-practice" and value in BEST_PRACTICE)
            or (k in ("crumb-trail", "allow-comments") and isinstance(value, bool))
            or k in ("noHtmlInMarkdown", "for-publication"))


def case_options(t: dict[str, Any], folder: Path | None = None) -> Options:
    """The options HL7's runner sets for a case (ValidationTests.java), as ours: its defaults where the case is
    silent (examples allowed, wrong displays an error, contained resources validated, references not fetched,
    best-practice invariants ignored, HTML in markdown a warning).
    ``folder``: the case folder, where its fetcher finds a reference's file (ours: Options.reference_folders, after
    RUNNER_FETCH)."""
    return Options(
        extension_domains=extension_domains(t),
        wrong_displays="warning" if t.get("wrong-displays") == "warning" else "error",
        security_checks=t.get("security-checks") is True,
        # the runner sets HtmlInMarkdownCheck.ERROR for noHtmlInMarkdown and nothing otherwise: its validator keeps
        # InstanceValidatorParameters' default, WARNING (ValidationEngine.getValidator -> initializeFromParameters)
        html_in_markdown="error" if "noHtmlInMarkdown" in t else "warning",
        contained=CONTAINED.get(str(t.get("validateContains")), "valid"),
        allow_examples=t.get("examples") is not False,
        no_experimental_content=t.get("no-experimental-content") is True,
        for_publication=str(t.get("for-publication")).lower() == "true",
        # the runner sets BestPracticeWarningLevel.Ignore before reading the case (ValidationTests.java)
        best_practice=BEST_PRACTICE.get(str(t.get("best-practice")), "ignore"),
        assume_valid_rest_references=t.get("assumeValidRestReferences") is True,
        crumb_trails=t.get("crumb-trail") is True,
        allow_comments=t.get("allow-comments") is True,
        validate_reference=REFERENCE_POLICY.get(str(t.get("validateReference")), "ignore"),
        reference_folders=(str(RUNNER_FETCH), str(folder)) if folder is not None else (),
        enforce_aggregation_outside_bundles=t.get("enforceAggregationOutsideBundles") is not False,
        sct=t["sct"] if isinstance(t.get("sct"), str) and snomed_edition(t["sct"]) else None,
        # ValidationTests: a "matchetype" that is a JSON primitive sets MatchetypeStatus.Required (an object names
        # a pattern to compare the output with, after validation, and leaves the status Disallowed)
        matchetype="required" if "matchetype" in t and not isinstance(t["matchetype"], (dict, list)) else "disallowed")


def extension_domains(t: dict[str, Any]) -> tuple[str, ...]:
    """The extension domains a case allows: ValidationTests adds ``allowed-extension-domain`` and each of
    ``allowed-extension-domains`` to the validator's extension domains."""
    one, many = t.get("allowed-extension-domain"), t.get("allowed-extension-domains")
    found = [one] if isinstance(one, str) else []
    found += [d for d in many if isinstance(d, str)] if isinstance(many, list) else []
    return tuple(found)


def runs_without_terminology(t: dict[str, Any]) -> bool:
    """A case with ``no-tx`` "true": ValidationTests sets the context's NoTerminologyServer (and no caching), so no
    recorded terminology answer (the bench's --tx-cache) stands in for a server."""
    return str(t.get("no-tx")).lower() == "true"


def _held_out(t: dict[str, Any]) -> bool:
    """The bench's split: a case whose file's hash is odd is held out."""
    return int(hashlib.sha256(t["file"].encode()).hexdigest(), 16) % 2 == 1
