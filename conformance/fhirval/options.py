"""What a user can switch in the FHIR validator: one :class:`Options` object, threaded from the entry points.

Each field mirrors an option of HL7's Java validator (its CLI flag and the setter its test runner,
ValidationTests.java, calls for the manifest key named below) and keeps our default, which is HL7's runner's
unless said. The checks the switches turn on live here too when they are small and need nothing but the value
(strings with HTML tags, markdown with embedded HTML), so the walker only asks ``options.x``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

CONTAINED_POLICIES = ("valid", "type", "ignore")
BEST_PRACTICE_LEVELS = ("ignore", "hint", "warning", "error")
HTML_IN_MARKDOWN = ("ignore", "warning", "error")
# HL7's ReferenceValidationPolicy, lower case: which of exists / type / valid a reference that does not resolve here
# (not contained, not in the Bundle or Parameters) has checked against the resource the fetcher finds
REFERENCE_POLICIES = ("ignore", "check_type_if_exists", "check_exists", "check_exists_and_type", "check_valid")
# HL7's InstanceValidator.MatchetypeStatus, lower case
MATCHETYPE_STATUSES = ("disallowed", "allowed", "required")


@dataclass(frozen=True)
class Options:
    """The validator's switches (the manifest key of HL7's test cases in brackets).

    ``extension_domains``: URL prefixes (or "any") whose unknown extensions are information (-extension,
    [allowed-extension-domain]). ``wrong_displays``: "error" judges a wrong display an error ([wrong-displays]).
    ``security_checks``: a string or markdown value holding what looks like HTML tags is an error
    (-security-checks, [security-checks]). ``html_in_markdown``: how markdown with embedded HTML is reported
    (-html-in-markdown, [noHtmlInMarkdown] = error; ours ignores it by default). ``contained``: whether a resource
    inside another (contained, a Bundle entry's, a Parameters') is validated ("valid"), only its type checked
    ("type") or passed over ("ignore") ([validateContains]). ``allow_examples``: example.org-style URLs pass
    unresolved (-allow-example-urls, [examples]; HL7's runner and ours allow them). ``no_experimental_content``:
    a canonical resource marked experimental is an error (-no-experimental-content). ``for_publication``: HL7's
    own publication rules, such as a work group for every HL7-published canonical resource ([for-publication]).
    ``best_practice``: the level of a best-practice invariant (-best-practice; default warning).
    ``assume_valid_rest_references``: the type a relative reference that does not resolve here names (``Group/1``)
    against the element's target types is an error, as HL7's validator with -assumeValidRestReferences
    (REFERENCE_REF_BADTARGETTYPE2); without it a warning (HL7's default leaves it unjudged; R4 still says it is
    wrong). ``crumb_trails``:
    an information issue names each profile a resource is walked against (-crumb-trails, [crumb-trail]).
    ``allow_comments``: JSON input may hold ``//`` and ``/* */`` comments (-allow-comments, [allow-comments]).
    ``validate_reference``: what is checked of a reference that resolves neither contained nor in its Bundle or
    Parameters ([validateReference], HL7's ReferenceValidationPolicy; its runner's default IGNORE): ``check_exists``
    and stronger fetch it from ``reference_folders``, the first that has it (local files only, named as HL7's
    runner names them:
    reference_fetch.py) and make one not found an error; ``check_exists_and_type`` and ``check_valid`` then judge its
    type against the element's targets and the aggregation modes, ``check_valid`` its target profiles too.
    ``resolution_context``: a folder looked in after ``reference_folders`` as HL7's CLI looks in its
    ``-resolution-context file:`` folder (StandAloneValidatorFetcher: the name as given, ``Type-id`` with the case
    kept, then a scan of the folder's files for the type and id; reference_targets.fetch_in_context).
    ``enforce_aggregation_outside_bundles``: the ``bundled`` aggregation mode holds outside a Bundle too (HL7's
    default for R4; [enforceAggregationOutsideBundles] false relaxes it, as R5 reads the mode). ``tx_cache``: a
    folder of HL7's recorded terminology-server answers (its test runner's txCache), consulted where no local
    terminology decides (tx_cache.py); ``tx_server``: a FHIR terminology server's base URL, asked the same
    (tx_client.py, after the cache; HL7's -tx). Both None: no server, those codes unjudged (HL7's -tx n/a).
    ``sct``: the SNOMED CT edition the terminology service is asked in (HL7's -sct, [sct]: an alias such as ``ca``
    or ``us``, or the edition's module id), sent with every request as HL7's ValidationEngine.setSnomedExtension
    adds it to the expansion parameters (``system-version``). ``matchetype``: whether a resource may, or must, be a
    matchetype (a test pattern marked with the tools ``matchetype`` extension): HL7's MatchetypeStatus, Disallowed
    by default; its test runner sets Required for a case whose [matchetype] is a JSON primitive (HL7's CLI has no
    flag for it). ``code_system_validation_size_limit``: a ValueSet include or a CodeSystem supplement with more
    concepts than this has none of them checked against the code system, information saying so instead (HL7's
    -codesystem-validation-size-limit, ValidatorSettings.DEFAULT_CODESYSTEM_VALIDATION_SIZE_LIMIT 1000, which its
    CLI and its test runner both leave; 0: no limit)."""

    extension_domains: tuple[str, ...] = ()
    wrong_displays: str = "warning"
    security_checks: bool = False
    html_in_markdown: str = "ignore"
    contained: str = "valid"
    allow_examples: bool = True
    no_experimental_content: bool = False
    for_publication: bool = False
    best_practice: str = "warning"
    assume_valid_rest_references: bool = False
    crumb_trails: bool = False
    allow_comments: bool = False
    validate_reference: str = "ignore"
    reference_folders: tuple[str, ...] = ()
    resolution_context: str | None = None
    enforce_aggregation_outside_bundles: bool = True
    tx_cache: str | None = None
    tx_server: str | None = None
    sct: str | None = None
    matchetype: str = "disallowed"
    code_system_validation_size_limit: int = 1000

    def __post_init__(self) -> None:
        for name, allowed in (("wrong_displays", ("warning", "error")), ("contained", CONTAINED_POLICIES),
                              ("best_practice", BEST_PRACTICE_LEVELS), ("html_in_markdown", HTML_IN_MARKDOWN),
                              ("validate_reference", REFERENCE_POLICIES), ("matchetype", MATCHETYPE_STATUSES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        limit = self.code_system_validation_size_limit
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError("code_system_validation_size_limit must be 0 (no limit) or more, "
                             f"not {self.code_system_validation_size_limit}")
        if self.sct is not None and snomed_edition(self.sct) is None:
            raise ValueError(f"sct must be a SNOMED CT edition ({', '.join(SNOMED_EDITIONS)}) or its module id, "
                             f"not {self.sct!r}")
        object.__setattr__(self, "extension_domains", tuple(self.extension_domains))
        object.__setattr__(self, "reference_folders", tuple(self.reference_folders))

    @property
    def fetches_references(self) -> bool:
        """Whether a reference that does not resolve here is looked up (HL7's ReferenceValidationPolicy.checkExists)."""
        return self.validate_reference in ("check_exists", "check_exists_and_type", "check_valid")

    def too_many_codes(self, count: int) -> bool:
        """Whether ``count`` concepts are more than the size limit lets be checked (0: no limit)."""
        limit = self.code_system_validation_size_limit
        return 0 < limit < count

    @property
    def screens_strings(self) -> bool:
        """Whether primitive values are looked at for HTML (one test per value on the walk's hot path)."""
        return self.security_checks or self.html_in_markdown != "ignore"


# HL7's SnomedUtilities.getCodeFromAlias: an edition's alias -> its module id
SNOMED_EDITIONS = {
    "intl": "900000000000207008", "us": "731000124108", "us+icd10cm": "5991000124107",
    "uk/clinical": "999000021000000109", "uk": "83821000000107", "au": "32506021000036107", "at": "11000234105",
    "ca": "20611000087101", "ca-en": "20621000087109", "ca-fr": "20611000087101", "nl": "11000146104",
    "se": "45991000052106", "es": "449081005", "es-ES": "900000001000122104", "ar": "11000221109",
    "dk": "554471000005108", "be": "11000172109", "ee": "11000181102", "fi": "11000229106", "de": "11000274103",
    "in": "1121000189102", "ie": "11000220105", "nz": "21000210109", "no": "51000202101", "kr": "11000267109",
    "ch": "2011000195101", "uy": "5631000179106"}


def snomed_edition(value: str) -> str | None:
    """The module id of a SNOMED CT edition given by alias or id (HL7's -sct takes either); None if neither."""
    found = SNOMED_EDITIONS.get(value)
    return found if found is not None else value if re.fullmatch(r"[1-9][0-9]{5,17}", value) else None


DEFAULT = Options()


def options_from(options: Options | None, extension_domains: Sequence[str] = (),
                 wrong_displays: str | None = None) -> Options:
    """One Options from the entry points' arguments: the object if given, the two older keywords folded in."""
    base = options or DEFAULT
    if extension_domains:
        base = replace(base, extension_domains=(*base.extension_domains, *extension_domains))
    if wrong_displays is not None and wrong_displays != base.wrong_displays:
        base = replace(base, wrong_displays=wrong_displays)
    return base


def contains_html_tags(text: str) -> bool:
    """HL7's HTMLUtilities.containsHtmlTags, as written: a ``<name ...>`` counts only when another ``<`` follows
    it (its own unit test: ``"<div>"`` alone is false, ``"<div><span>"`` true); the name is a letter then letters,
    digits or ``_``, ended by the ``>`` or whitespace."""
    start = text.find("<")
    while start > -1:  # by index, not by slicing the rest off each time (quadratic on a long value full of '<')
        pos = start + 1
        start = text.find("<", pos)
        end = text.find(">", pos)
        if -1 < end < start and _looks_like_tag(text[pos:end]):
            return True
    return False


def _looks_like_tag(content: str) -> bool:
    if not content or not content[0].isalpha():
        return False
    pos = 1
    while pos < len(content) and (content[pos].isalnum() or content[pos] == "_"):
        pos += 1
    return pos == len(content) or content[pos].isspace()


# MarkDownProcessor.preProcess: an unescaped open or close tag, or a comment / processing instruction / declaration
_MARKDOWN_HTML = re.compile(r"(?<!\\)</?[A-Za-z][A-Za-z0-9-]*[\s>]|<[!?]")


def markdown_html(text: str) -> str | None:
    """Where markdown holds embedded HTML (the two characters HL7's TYPE_SPECIFIC_CHECKS_DT_MARKDOWN_HTML quotes),
    or None."""
    found = _MARKDOWN_HTML.search(text)
    return None if found is None else text[found.start():found.start() + 2]
