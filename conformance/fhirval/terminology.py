"""Local terminology: code lookups and ValueSet expansion from the CodeSystems and ValueSets held here.

Never a network call. A ValueSet is expanded from its ``compose`` as the spec reads it: within one
``include``, the system's part (listed concepts, the filters, or the whole system) intersected with
every imported ``valueSet``; the includes united; then each ``exclude`` taken away; or, with no
``compose``, read from a stored ``expansion``. Codes come from loaded CodeSystems (the source first,
then the HL7 Terminology package when one is found, see terminology_packages.py) or, for UCUM and the
BCP-47 / BCP-13 tags, from their grammars (terminology_grammars.py).

What cannot be followed is never guessed: a system we do not hold, or a filter we cannot apply, leaves
that system *open* (any code of it may be in), and an ``exclude`` we cannot apply makes the codes it
might remove *uncertain*. Membership is then None, which the binding check reports as information.
"""

from __future__ import annotations

import threading

from conformance.fhirval import terminology_filters as filters
from conformance.fhirval.java_text import java_fold
from conformance.fhirval.source import DefinitionSource, Json, items, version_resolves
from conformance.fhirval.terminology_expansion import Expansion, intersect, subtract
from conformance.fhirval.terminology_filters import as_list
from conformance.fhirval.terminology_grammars import GRAMMARS, is_implicit_value_set, judge, special_concept

__all__ = ["Expansion", "Terminology", "intersect", "subtract"]

THO_BASE = "http://terminology.hl7.org/"

# indexes of the terminology package's CodeSystems, shared by every Terminology of the process (one per
# DefinitionSource: per step in a bench): the package's resources live as long as the process
# (terminology_packages keeps one reader per path), and THO's large ones (v3-ActCode, indexed with their
# subsumedBy properties) cost tens of milliseconds each to index. Keyed by id, the resource kept beside it.
_PACKAGE_TABLES: dict[int, tuple[Json, filters.Hierarchy, dict[str, Json]]] = {}
_PACKAGE_PROPERTIES: dict[int, tuple[Json, filters.Properties]] = {}


class Terminology:
    """Local code lookups and ValueSet expansions for one DefinitionSource, cached."""

    def __init__(self, source: DefinitionSource, fallback: DefinitionSource | None = None, *,
                 find_package: bool = True) -> None:
        """``fallback``: where CodeSystems and ValueSets the source lacks are looked for; by default the HL7
        Terminology package (terminology_packages.py), looked for on the first miss."""
        self.source = source
        self._fallback = fallback
        self._looked = fallback is not None or not find_package
        self._tables: dict[str, tuple[filters.Hierarchy, str] | None] = {}
        self._properties: dict[str, filters.Properties] = {}
        self._expansions: dict[str, object] = {}
        # ValueSets being expanded on this thread (a self-import is cut there); per thread, as one Terminology
        # serves every thread of the web service: another thread's expansion is no self-import
        self._busy = threading.local()
        self._value_set_only: dict[str, bool] = {}
        self._code_system_only: dict[str, bool] = {}
        self._supplement: dict[str, bool] = {}
        self._code_systems: dict[str, Json | None] = {}
        self._value_sets: dict[str, Json | None] = {}
        self._concepts: dict[str, dict[str, Json]] = {}  # system -> code -> concept, filled with the table
        self._case_folded: dict[str, dict[str, str]] = {}
        self._from_package: set[str] = set()  # systems whose CodeSystem is the terminology package's
        self._identified: dict[str, list[str]] | None = None  # identifier value -> CodeSystem URLs

    # ---- definitions: the source first, then the terminology package --------------------------------

    def _extra(self) -> DefinitionSource | None:
        if not self._looked:
            from conformance.fhirval.terminology_packages import default_terminology_source

            self._fallback = default_terminology_source()
            self._looked = True
        return self._fallback

    def code_system(self, url: str) -> Json | None:
        if url in self._code_systems:
            return self._code_systems[url]
        found = self.source.code_system(url)
        if (found is None or _base_copy(found, url, "CodeSystem")) and (extra := self._extra()) is not None:
            packaged = extra.code_system(url)
            if packaged is not None:
                found = packaged
                self._from_package.add(url)
        self._code_systems[url] = found = self._not_outdated(found, url, "CodeSystem")
        return found

    def value_set(self, url: str) -> Json | None:
        """Kept per URL as code_system() keeps its answer: a binding's value set is read for every coded value
        outside it (its compose says whether inactive codes are refused), a zip member lookup under a lock."""
        if url in self._value_sets:
            return self._value_sets[url]
        found = self.source.value_set(url)
        if (found is None or _base_copy(found, url, "ValueSet")) and (extra := self._extra()) is not None:
            found = extra.value_set(url) or found
        self._value_sets[url] = found = self._not_outdated(found, url, "ValueSet")
        return found

    def _not_outdated(self, found: Json | None, url: str, kind: str) -> Json | None:
        """None for base R4's 2019 copy of an HL7 Terminology resource when the packages loaded depend on a THO
        release that could not be loaded: codes added since (v2-0203's FGN, AU Base 6.0.0 on THO 7.0.1) would
        be judged unknown; not holding it leaves them not judged (information), a harness's lack."""
        if found is None or not _base_copy(found, url, kind):
            return found
        from conformance.fhirval.packages import unloaded_in

        return None if unloaded_in(self.source, url) is not None else found

    # ---- code systems -------------------------------------------------------------------------------

    def _table(self, system: str) -> tuple[filters.Hierarchy, str] | None:
        """(hierarchy, content) of a CodeSystem we hold that lists concepts; None otherwise. The hierarchy's
        keys are every code of it."""
        if system in self._tables:
            return self._tables[system]
        cs = self.code_system(system)
        table = None
        content = cs.get("content", "complete") if cs is not None else None
        if cs is not None and content in ("complete", "fragment", "example") and not cs.get("supplements"):
            shared = _PACKAGE_TABLES.get(id(cs)) if system in self._from_package else None
            if shared is None or shared[0] is not cs:
                concepts: dict[str, Json] = {}
                shared = (cs, filters.hierarchy(cs, concepts), concepts)
                if system in self._from_package:
                    _PACKAGE_TABLES[id(cs)] = shared
            self._concepts[system] = shared[2]
            table = (shared[1], str(content))
        self._tables[system] = table
        return table

    def properties(self, system: str) -> filters.Properties:
        """The property table of a CodeSystem we hold (empty when we do not), built on first use."""
        hit = self._properties.get(system)
        if hit is None:
            cs = self.code_system(system)
            shared = _PACKAGE_PROPERTIES.get(id(cs)) if system in self._from_package else None
            if shared is None or shared[0] is not cs:
                shared = (cs or {}, filters.properties(cs) if cs is not None else {})
                if system in self._from_package and cs is not None:
                    _PACKAGE_PROPERTIES[id(cs)] = shared
            hit = self._properties[system] = shared[1]
        return hit

    def system_codes(self, system: str) -> set[str] | None:
        """Every code of a complete CodeSystem we hold; None otherwise."""
        table = self._table(system)
        return set(table[0]) if table is not None and table[1] == "complete" else None

    def code_systems_identified_as(self, value: str) -> list[str]:
        """URLs of the CodeSystems held (the source's, then the terminology package's, when they can list theirs)
        with an ``identifier.value`` of ``value`` (ContextUtilities.fetchByIdentifier); the index is built once."""
        if self._identified is None:
            index: dict[str, list[str]] = {}
            own, packaged = getattr(self.source, "urls", None), getattr(self._extra(), "code_system_urls", None)
            urls = [*(own("CodeSystem") if callable(own) else ()), *(packaged() if callable(packaged) else ())]
            for url in dict.fromkeys(urls):
                cs = self.code_system(url)
                for ident in items(cs.get("identifier")) if cs is not None else ():
                    if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                        index.setdefault(ident["value"], []).append(url)
            self._identified = index
        return self._identified.get(value, [])

    def known_system(self, system: str) -> bool:
        return self.system_codes(system) is not None or system in GRAMMARS

    def is_supplement(self, system: str) -> bool:
        hit = self._supplement.get(system)
        if hit is None:
            cs = self.code_system(system)
            hit = cs is not None and (cs.get("content") == "supplement" or isinstance(cs.get("supplements"), str))
            self._supplement[system] = hit
        return hit

    def names_value_set_only(self, system: str) -> bool:
        """Whether ``system`` is the URL of a ValueSet we hold and of no CodeSystem (a common mistake)."""
        hit = self._value_set_only.get(system)
        if hit is None:
            hit = self.source.value_set(system) is not None and self.source.code_system(system) is None
            self._value_set_only[system] = hit
        return hit

    def names_code_system_only(self, url: str) -> bool:
        """Whether a binding's ``url`` is a CodeSystem we hold and no ValueSet is (the mistake HL7's validator
        reports as TERMINOLOGY_TX_VALUESET_NOTFOUND_CS)."""
        hit = self._code_system_only.get(url)
        if hit is None:
            hit = (not is_implicit_value_set(url) and self.code_system(url) is not None
                   and self.value_set(url) is None)
            self._code_system_only[url] = hit
        return hit

    def holds_version(self, system: str, version: str | None) -> bool:
        """Whether the CodeSystem held for ``system`` is that version (or one it names in part: ``1.0`` for
        ``1.0.2``, as HL7's VersionUtilities matches); True when none is held (nothing is judged from it then) or
        no version is named."""
        cs = self.code_system(system)
        if cs is None or version is None:
            return True
        held = cs.get("version")
        return isinstance(held, str) and version_resolves(held, version)

    def has_terminology_package(self) -> bool:
        """Whether the HL7 Terminology (THO) package was found, which HL7's validator always has loaded."""
        return self._extra() is not None

    def versions_held(self, system: str) -> list[str]:
        """Every version of the CodeSystem held here: the definitions' own copy and the terminology package's, as
        HL7's context lists them (context.fetchResourceVersions, ValueSetValidator.resolveCodeSystemVersions)."""
        if self.code_system(system) is None:
            return []
        extra = self._extra()
        copies = (self.source.code_system(system), extra.code_system(system) if extra is not None else None)
        return sorted({v for cs in copies if cs is not None and isinstance(v := cs.get("version"), str)})

    def code_in_system(self, system: str, code: str) -> bool | None:
        """True / False, or None when the system's codes cannot be known here (a fragment, a stub, unknown).
        A system not marked ``caseSensitive: true`` has the code in any case, as HL7's validator finds it
        (ValueSetValidator.findCodeInConcept with CodeSystem.getCaseSensitive(), false when absent;
        CODE_CASE_DIFFERENCE is information)."""
        table = self._table(system)
        if table is None:
            return judge(system, code)
        if code in table[0] or java_fold(code) in self._folded(system):
            return True
        if (special := special_concept(system, code)) is not False:
            return special
        return False if table[1] == "complete" else None

    def fragment_lacks(self, system: str, code: str) -> bool:
        """Whether ``system`` is held as a CodeSystem with ``fragment`` content that lacks ``code``: HL7's
        ValueSetValidator.validateCode(path, Coding, CodeSystem, ..) then warns UNKNOWN_CODE_IN_FRAGMENT (the code
        may be in another fragment), where a complete CodeSystem's missing code is UNKNOWN_CODE_IN_VERSION."""
        table = self._table(system)
        return table is not None and table[1] == "fragment" and self.code_in_system(system, code) is None

    def _folded(self, system: str) -> dict[str, str]:
        """The lower-cased codes of a held system that is not case-sensitive, each to the code as the system has
        it (the first, when two differ only in case); empty for one that is."""
        hit = self._case_folded.get(system)
        if hit is None:
            cs, table = self.code_system(system), self._table(system)
            hit = {}
            if cs is not None and table is not None and cs.get("caseSensitive") is not True:
                for c in table[0]:
                    hit.setdefault(java_fold(c), c)
            self._case_folded[system] = hit
        return hit

    def concept(self, system: str, code: str) -> Json | None:
        """The concept of a code in a CodeSystem we hold (None when not known). A code in another case of a
        system that is not case-sensitive is the concept it matched: ValueSetValidator checks the display against
        the concept findCodeInConcept found ignoring case."""
        concepts = self._concepts.get(system, {}) if self._table(system) is not None else {}
        concept = concepts.get(code)
        if concept is None and (same := self._folded(system).get(java_fold(code))) is not None:
            concept = concepts.get(same)
        return concept

    def is_inactive(self, system: str, code: str) -> bool:
        """Whether a code of a CodeSystem we hold is inactive, as CodeSystemUtilities.isInactive reads it."""
        return _inactive(self.concept(system, code))

    # ---- value sets ---------------------------------------------------------------------------------

    def expand(self, url: str) -> Expansion | None:
        """The ValueSet's expansion, or None when the ValueSet is not held locally."""
        url = url.split("|")[0]
        busy: set[str] | None = getattr(self._busy, "urls", None)  # no new set per call: most calls are cache hits
        if busy is None:
            busy = self._busy.urls = set()
        elif url in busy:
            return Expansion(complete=False)  # a ValueSet importing itself: give up on that branch
        hit = self._expansions.get(url)
        if hit is not None:
            return hit if isinstance(hit, Expansion) else None
        vs = self.value_set(url)
        if vs is None:
            self._expansions[url] = False
            return None
        busy.add(url)
        try:
            result = self._expand(vs)
        finally:
            busy.discard(url)
        self._expansions[url] = result
        return result

    def _expand(self, vs: Json) -> Expansion:
        compose, stored = vs.get("compose"), vs.get("expansion")
        if not isinstance(compose, dict) or (isinstance(stored, dict) and isinstance(stored.get("contains"), list)):
            # ValueSetValidator.codeInValueSet: a stored expansion answers before the compose (checkExpansion); one
            # without ``contains`` (HL7: every code out) or a page of a larger one is left to the compose / unknown
            return _stored_expansion(vs)
        out = Expansion()
        for include in as_list(compose.get("include")):
            if isinstance(include, dict):
                out.merge(self._include(include))
        for exclude in as_list(compose.get("exclude")):
            if isinstance(exclude, dict):
                subtract(out, self._include(exclude))
        if compose.get("inactive") is False:  # R4: "the inactive codes will not be included in the expansion"
            for system, codes in out.codes.items():
                concepts = self._concepts.get(system, {})
                codes.difference_update({c for c in codes if _inactive(concepts.get(c))})
            # CodeSystemUtilities.isInactive(cs, code) finds the concept with equals: one in another case is none,
            # and none counts as inactive, so inComponent refuses it
            out.any_case.clear()
        return out

    def _include(self, include: Json) -> Expansion:
        parts: list[Expansion] = []
        system = include.get("system")
        if isinstance(system, str):
            parts.append(self._system_part(system, include))
        for url in as_list(include.get("valueSet")):
            sub = self.expand(url) if isinstance(url, str) else None
            parts.append(sub if sub is not None else Expansion(complete=False))
        if not parts:
            return Expansion()
        result = parts[0]
        for part in parts[1:]:
            result = intersect(result, part)
        return result

    def _system_part(self, system: str, include: Json) -> Expansion:
        out = Expansion()
        concepts = include.get("concept")
        if isinstance(concepts, list) and concepts:
            out.add(system, {c["code"] for c in concepts if isinstance(c, dict) and isinstance(c.get("code"), str)})
            if (listed := self._table(system)) is not None and listed[1] == "fragment":
                out.fragments.add(system)  # ValueSetValidator.inComponent: markFromFragment
            return out
        table = self._table(system)
        flts = [f for f in as_list(include.get("filter")) if isinstance(f, dict)]
        if table is None or table[1] != "complete":
            if system in GRAMMARS:
                out.grammar_systems.add(system)
                if flts:  # a subset of the system: what its grammar refuses is in no subset, the rest unknown here
                    out.uncertain.add(system)
            else:
                out.open_systems.add(system)
            return out
        selected: set[str] | None = set(table[0])
        folds = self._folded(system)
        any_case = set(table[0]) if folds else set()
        for f in flts:
            found = filters.apply(table[0], lambda: self.properties(system), f)
            if found is None:
                out.open_systems.add(system)
                return out
            selected = found if selected is None else selected & found
            any_case &= filters.any_case(table[0], f) if folds else set()
        out.add(system, selected or set())
        out.fold(system, folds, any_case & (selected or set()))
        if not flts:
            out.whole.add(system)  # ValueSetValidator.inComponent validates the code in the system itself
        return out


_STANDARDS_STATUS = "http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status"


def _inactive(concept: Json | None) -> bool:
    """A concept HL7 counts inactive (CodeSystemUtilities.isInactive, which ValueSetValidator asks when the value
    set's ``compose.inactive`` is false): a withdrawn standards-status, else the FIRST ``status`` (inactive or
    retired) or ``inactive`` (true) property decides; later properties are never read."""
    if not isinstance(concept, dict):
        return False
    for ext in as_list(concept.get("extension")):
        if isinstance(ext, dict) and ext.get("url") == _STANDARDS_STATUS:
            if ext.get("valueCode") == "withdrawn":
                return True
            break  # readStringExtension reads the first such extension only
    for p in as_list(concept.get("property")):
        if not isinstance(p, dict):
            continue
        text = next((p[k] for k in ("valueString", "valueCode") if isinstance(p.get(k), str)), None)
        if p.get("code") == "status" and text is not None:  # hasValueStringType: string and its subtype code
            return text in ("inactive", "retired")
        if p.get("code") == "inactive" and isinstance(p.get("valueBoolean"), bool):
            return bool(p["valueBoolean"])
        if p.get("code") == "inactive" and "valueCode" in p:
            return p.get("valueCode") == "true"
    return False


def _base_copy(found: Json, url: str, kind: str) -> bool:
    """Whether ``found`` is base R4's own copy of an HL7 Terminology resource: R4 froze those in 2019, and
    THO, where installed, is their current version (HL7's validator takes THO's too). A package's copy wins."""
    if not url.startswith(THO_BASE):
        return False
    from conformance.fhirval.base import base_source

    base = base_source()
    held = base.code_system(url) if kind == "CodeSystem" else base.value_set(url)
    return held is found


def _stored_expansion(vs: Json) -> Expansion:
    out = Expansion()
    stored = vs.get("expansion")
    contains = stored.get("contains") if isinstance(stored, dict) else None
    if not isinstance(contains, list):
        out.complete = False
        return out
    count = 0
    for item, _ in filters.walk_contains(contains):
        count += 1
        if isinstance(item.get("system"), str) and isinstance(item.get("code"), str):
            out.add(item["system"], {item["code"]})
    total = stored.get("total") if isinstance(stored, dict) else None
    if isinstance(total, int) and total > count:  # a page of a larger expansion
        out.complete = False
    return out
