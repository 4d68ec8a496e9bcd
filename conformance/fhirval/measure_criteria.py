"""A Measure's CQL stratifier criteria against the compiled CQL (ELM) of the Libraries it names.

As HL7's MeasureValidator.validateMeasure / validateMeasureCriteria (with MeasureContext.seeLibrary): each
``Measure.library`` is fetched as a Library, and each of a found Library's ``application/elm+xml`` attachments is
parsed as XML (the last one parsed is kept; one that does not parse keeps its error). Then the ``criteria`` of each
``group.stratifier`` (HL7 reads no other criteria: populations and supplemental data are not judged, and the
``component`` it asks the group for is no R4 element) whose ``language`` is ``text/cql`` or
``text/cql.identifier`` is resolved:

- no Library at all: MEASURE_M_CRITERIA_CQL_NO_LIB;
- ``Name.function``: the one Library whose ``name`` is ``Name`` (MEASURE_M_CRITERIA_CQL_LIB_NOT_FOUND when none,
  _LIB_DUPL when several); a bare ``function``: the only Library (_ONLY_ONE_LIB when there are several);
- that Library has no ELM (_NO_ELM), ELM that does not parse (_ERROR), ELM whose root is not ``library`` in
  ``urn:hl7-org:elm:r1`` (_ELM_NOT_VALID), or no ``statements/def`` of the function's name (_NOT_FOUND).

A Library named and not found is HL7's hint MEASURE_M_LIB_UNKNOWN, and it is left out: the criteria are judged
against the Libraries found (none: _NO_LIB), as HL7's runner judges a case that does not supply one. Only a Library
under the canonical base of a dependency the harness could not load (Model.missing_dependency) leaves the criteria
unjudged: HL7, holding that package, would find it.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from lxml import etree

from conformance.fhirval.source import Json, canonical_resource, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

ELM_NS = "urn:hl7-org:elm:r1"
_CQL = frozenset({"text/cql", "text/cql.identifier"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class _Elm:
    """A Library's compiled CQL as MeasureContext.seeLibrary keeps it: the parsed document, or the error."""

    def __init__(self, root: Any = None, error: str | None = None) -> None:
        self.root = root
        self.error = error


def check_measure(w: Walker, measure: Json, loc: str) -> None:
    """Each CQL stratifier criteria against the ELM of the Libraries found (MeasureValidator.validateMeasureCriteria);
    not judged when a Library named lies in a dependency the harness lacks."""
    libraries = _libraries(w, measure, loc)
    if libraries is None:
        return
    for i, group in enumerate(objects(measure.get("group"))):
        for j, stratifier in enumerate(objects(group.get("stratifier"))):
            criteria = stratifier.get("criteria")
            if isinstance(criteria, dict):
                _criteria(w, libraries, criteria, f"{loc}.group[{i}].stratifier[{j}].criteria")


def _libraries(w: Walker, measure: Json, loc: str) -> list[Json] | None:
    """The Libraries the Measure names that are found (validateMeasure: MeasureContext.seeLibrary for each
    fetchResource that answers); None when one not found lies in a dependency the harness lacks (not judged)."""
    named = measure.get("library")
    refs = [(i, r) for i, r in enumerate(named if isinstance(named, list) else [named]) if isinstance(r, str) and r]
    found: list[Json] = []
    for i, ref in refs:
        library = canonical_resource(w.model.source, "Library", ref)
        if library is None or library.get("resourceType") != "Library":
            if w.model.missing_dependency(ref) is not None:
                return None
            where = f"{loc}.library[{i}]" if isinstance(named, list) else f"{loc}.library"
            w.sink.info("measure-library", where, f"the Library {ref} could not be found (MEASURE_M_LIB_UNKNOWN): "
                                                  "its CQL criteria are judged without it")
            continue
        found.append(library)
    return found


def _criteria(w: Walker, libraries: list[Json], criteria: Json, where: str) -> None:
    language = criteria.get("language")
    if not isinstance(language, str) or language not in _CQL:  # a list or object: the element walk reports it
        return  # other languages are HL7's warning MEASURE_M_CRITERIA_UNKNOWN
    ref = criteria.get("expression")
    if not isinstance(ref, str):
        return  # HL7 reads the expression's value unguarded; a criteria without one is left alone
    if not libraries:
        w.sink.error("measure-criteria", where, "No CQL Libraries found on this Measure")
        return
    library: Json | None = None
    if "." in ref:
        name, ref = ref.split(".", 1)
        for candidate in libraries:
            if candidate.get("name") == name:
                if library is None:
                    library = candidate
                else:
                    w.sink.error("measure-criteria", where,
                                 f"Multiple matching libraries found for the namespace {name}")
        if library is None:
            w.sink.error("measure-criteria", where, f"No matching Library found for the namespace {name}")
            return
    elif len(libraries) == 1:
        library = libraries[0]
    else:
        w.sink.error("measure-criteria", where, "If the CQL expression does not include a namespace, there can "
                                                "only be one Library for the measure")
        return
    url = library.get("url")
    elm = _elm(library)
    if elm is None:
        w.sink.error("measure-criteria", where, f"Error in {url}: No compiled version of CQL found")
    elif elm.error is not None:
        w.sink.error("measure-criteria", where, f"Error in {url}: '{elm.error}'")
    elif not _valid_elm(elm.root):
        w.sink.error("measure-criteria", where, f"Error in {url}: Compiled version of CQL is not valid")
    elif not _has_def(elm.root, ref):
        w.sink.error("measure-criteria", where, f"The function {ref} does not exist in the library {url}")


def _elm(library: Json) -> _Elm | None:
    """The last ``application/elm+xml`` attachment, parsed (MeasureContext.seeLibrary: XMLUtil.parseToDom of its
    data, namespace-aware; an exception's message is kept instead)."""
    elm: _Elm | None = None
    for attachment in objects(library.get("content")):
        if attachment.get("contentType") != "application/elm+xml":
            continue
        data = attachment.get("data")
        try:
            raw = base64.b64decode(data, validate=False) if isinstance(data, str) else None
            if raw is None:
                elm = _Elm(error="the attachment has no data")
            else:
                elm = _Elm(root=etree.fromstring(raw, _PARSER))
        except (binascii.Error, ValueError, etree.XMLSyntaxError) as exc:
            elm = _Elm(error=str(exc))
    return elm


def _valid_elm(root: Any) -> bool:
    """MeasureValidator.isValidElm: the root's node name is ``library`` (no prefix) in the ELM namespace."""
    return root is not None and root.prefix is None and etree.QName(root).localname == "library" \
        and etree.QName(root).namespace == ELM_NS


def _has_def(root: Any, name: str) -> bool:
    """MeasureValidator.hasCqlTarget: a ``def`` child of the root's first ``statements`` child has that name
    (XMLUtil.getNamedChild / getNamedChildren compare local names)."""
    statements = next((c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "statements"), None)
    if statements is None:
        return False
    return any(isinstance(d.tag, str) and etree.QName(d).localname == "def" and d.get("name") == name
               for d in statements)
