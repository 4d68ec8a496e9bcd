"""A ValueSet's expansion as held here (terminology.py builds it): codes by system, with what is not enumerable
(open systems, grammar-defined systems, codes an exclude may remove), and the union, intersection and difference
the ``compose`` rules take. Kept apart from terminology.py, which reads the definitions."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.fhirval.java_text import java_fold
from conformance.fhirval.terminology_grammars import judge, special_concept


@dataclass
class Expansion:
    """Codes by system, with what is not enumerable: ``open_systems`` (any code may be in),
    ``grammar_systems`` (whole grammar-defined systems), ``uncertain`` (an exclude not followed)."""

    codes: dict[str, set[str]] = field(default_factory=dict)
    open_systems: set[str] = field(default_factory=set)
    grammar_systems: set[str] = field(default_factory=set)
    uncertain: set[str] = field(default_factory=set)
    complete: bool = True  # False when part of the definition could not be followed (an unknown import)
    whole: set[str] = field(default_factory=set)  # systems included whole: their special concepts are in too
    # a CodeSystem not marked caseSensitive (HL7 reads it false when absent): its lower-cased codes to the codes
    # (shared with Terminology), and the codes this value set holds whatever the case the instance writes them in
    # (ValueSetValidator.inComponent: validateCodeInConceptList and the is-a filters' findCodeInConcept compare
    # equalsIgnoreCase; a listed concept, a regex or the filter's own value compare exactly)
    folds: dict[str, dict[str, str]] = field(default_factory=dict)
    any_case: dict[str, set[str]] = field(default_factory=dict)
    # systems of a CodeSystem with content ``fragment`` that an include names: a code not found there is never
    # out (inComponent marks the answer markFromFragment, and validateCode then reports no value set failure)
    fragments: set[str] = field(default_factory=set)

    def add(self, system: str, codes: set[str]) -> None:
        self.codes.setdefault(system, set()).update(codes)

    def kind(self, system: str) -> str:
        if system in self.open_systems:
            return "open"
        if system in self.grammar_systems:
            return "grammar"
        return "list" if system in self.codes else "absent"

    def systems(self) -> set[str]:
        return set(self.codes) | self.open_systems | self.grammar_systems

    def contains(self, system: str | None, code: str) -> bool | None:
        """True / False, or None when it cannot be known locally."""
        if system is None:
            if not (self.open_systems or self.grammar_systems or self.uncertain or self.any_case
                    or self.fragments):  # the common case: lists only
                if any(code in codes for codes in self.codes.values()):
                    return True
                return False if self.complete else None
            verdicts = [self.contains(s, code) for s in self.systems()]
            if any(v is True for v in verdicts):
                return True
            return None if any(v is None for v in verdicts) or not self.complete else False
        kind = self.kind(system)
        if code in self.codes.get(system, ()):
            return None if system in self.uncertain else True
        if system in self.any_case and (same := self.folds[system].get(java_fold(code))) not in (None, code) \
                and same in self.any_case[system]:
            return None if system in self.uncertain else True
        if kind == "open":
            return None
        if kind == "grammar":
            verdict = judge(system, code)
            return None if verdict is True and system in self.uncertain else verdict
        if system in self.whole and (special := special_concept(system, code)) is not False:
            return None if special is True and system in self.uncertain else special
        return False if self.complete and system not in self.fragments else None

    def fold(self, system: str, folds: dict[str, str], codes: set[str]) -> None:
        """``codes`` of ``system`` are held whatever the case they are written in (see ``any_case``)."""
        if folds and codes:
            self.folds[system] = folds
            self.any_case.setdefault(system, set()).update(codes)

    def merge(self, other: Expansion) -> None:
        """Union, in place."""
        for system, codes in other.codes.items():
            self.add(system, codes)
        self.open_systems |= other.open_systems
        self.grammar_systems |= other.grammar_systems
        self.uncertain |= other.uncertain
        self.complete &= other.complete
        self.whole |= other.whole
        for system, codes in other.any_case.items():
            self.fold(system, other.folds[system], codes)
        self.fragments |= other.fragments


def intersect(a: Expansion, b: Expansion) -> Expansion:
    """Codes in both (an include's system part and its imported ValueSets)."""
    out = Expansion(complete=a.complete and b.complete)
    for system in a.systems() | b.systems():
        ka, kb = a.kind(system), b.kind(system)
        if "absent" in (ka, kb):
            continue
        if system in a.uncertain or system in b.uncertain:
            out.uncertain.add(system)
        if system in a.fragments or system in b.fragments:
            out.fragments.add(system)
        if ka == kb == "list":
            out.add(system, a.codes[system] & b.codes[system])
            out.whole |= {system} & a.whole & b.whole
            if system in a.any_case and system in b.any_case:  # each part finds the code in any case
                out.fold(system, a.folds[system], a.any_case[system] & b.any_case[system])
        elif "list" in (ka, kb):
            listed = a.codes[system] if ka == "list" else b.codes[system]
            other = kb if ka == "list" else ka
            if other == "grammar":
                out.add(system, {c for c in listed if judge(system, c) is not False})
            else:  # open: which of the listed codes the other part has is not known
                out.add(system, listed)
                out.uncertain.add(system)
        elif "open" in (ka, kb):
            out.open_systems.add(system)
        else:
            out.grammar_systems.add(system)
    return out


def subtract(out: Expansion, gone: Expansion) -> None:
    """Take an exclude's codes away, in place; what the exclude might remove but cannot list is uncertain."""
    for system in gone.systems() & out.systems():
        if gone.kind(system) == "list" and system not in gone.uncertain:
            out.codes.get(system, set()).difference_update(gone.codes[system])
            out.any_case.get(system, set()).difference_update(gone.any_case.get(system, ()))
        else:
            out.uncertain.add(system)
    if not gone.complete:
        out.uncertain |= out.systems()
