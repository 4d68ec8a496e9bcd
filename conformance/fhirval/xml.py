"""FHIR XML -> FHIR JSON, driven by the definitions (lxml only; never string handling).

One converter serves both halves: loaders read XML profiles (UK Core publishes only XML) and the
validator reads XML instances. The JSON produced is what the same content looks like in FHIR JSON:

- arrays where the base definition's max is not ``"1"``;
- a primitive's ``@value`` becomes the JSON value (booleans, integers and decimals typed when their
  lexical form is valid, otherwise left as the string so the validator reports the bad value); its
  ``@id`` and ``<extension>`` go to ``_name`` (aligned with ``null`` in arrays);
- ``xmlAttr`` elements (``Element.id``, ``Extension.url``) come from attributes;
- ``Narrative.div`` is kept as its serialised XHTML string;
- resource containers (``contained``, ``Bundle.entry.resource``, ``Parameters.parameter.resource``)
  unwrap their single child resource and add ``resourceType``.

Unknown elements and attributes are KEPT in the output under their own name (converted generically:
``@value`` as a string, children as an object, repeats as an array) so the validator reports them
at their path, as it would in JSON. Structural faults that JSON cannot express raise
:class:`FhirXmlError` naming the line: not XML, a DTD/entity declaration, a root or child outside
the FHIR namespace, an empty or crowded resource container.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from conformance import safejson
from conformance.fhirval import java_text
from conformance.fhirval.source import DefinitionSource, Json

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
# R4's integer regex: no "+" (HL7's Utilities.isInteger refuses it too), "-0" allowed; anything else stays a string
_INTEGER = re.compile(r"-?([0]|[1-9][0-9]*)")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_INT_TYPES = {"integer", "positiveInt", "unsignedInt"}


class FhirXmlError(ValueError):
    """XML that cannot be read as FHIR; the message names the line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


# XML 1.1 (section 2.2, 4.1) allows the restricted characters U+0001-U+001F (but tab, LF, CR) and U+007F-U+009F as
# character references; libxml2 reads only XML 1.0, so for a 1.1 document each such reference is read as a stand-in
# in Unicode's supplementary private use area B (U+10FF00 + code) and put back in the JSON (HL7's Java parser reads 1.1)
_V11 = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml\s+version\s*=\s*["']1\.1["']""")
_RESTRICTED_REF = re.compile(rb"&#(?:x0*([0-9a-fA-F]{1,2})|0*([0-9]{1,3}));")
_STAND_IN = 0x10FF00
_STAND_INS = re.compile("[\U0010ff01-\U0010ff9f]")


def _restricted_ref(match: re.Match[bytes]) -> bytes:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    if (0 < code < 0x20 and code not in (9, 10, 13)) or 0x7F <= code <= 0x9F:
        return chr(_STAND_IN + code).encode()
    return match.group(0)


def _restore(value: Any) -> Any:
    """The restricted characters of an XML 1.1 document, back in place of their stand-ins."""
    if isinstance(value, str):
        return _STAND_INS.sub(lambda m: chr(ord(m.group(0)) - _STAND_IN), value)
    if isinstance(value, list):
        return [_restore(v) for v in value]
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    return value


def parse_xml(data: bytes, *, keep_pis: bool = False, div_comments: bool = False) -> Any:
    """Parse bytes safely (no DTD, no entities, no network); FhirXmlError on anything else. ``keep_pis`` keeps
    processing instructions for the validator to report (the conversion skips them). ``div_comments`` keeps the
    comments inside the narrative's XHTML, as HL7's XmlParser does (its SAX-to-DOM transform keeps comment nodes
    and XhtmlParser.parseNode makes each a Comment node, which XhtmlValidator.checkInnerNames and txt-1 judge);
    comments elsewhere are dropped as before."""
    if _V11.match(data):
        data = _RESTRICTED_REF.sub(_restricted_ref, data)
    keep_comments = div_comments and b"<!--" in data
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=not keep_comments,
        remove_pis=not keep_pis, huge_tree=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FhirXmlError(f"not well-formed XML: {exc.msg}", exc.lineno) from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise FhirXmlError(f"not XML: {exc}") from None
    if root is None:
        raise FhirXmlError("not XML: empty document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise FhirXmlError("DOCTYPE declarations are not allowed in FHIR XML", 1)
    if keep_comments:
        for comment in [c for c in root.iter(etree.Comment) if not _in_xhtml(c)]:
            _drop(comment)
    return root


def _in_xhtml(node: Any) -> bool:
    return any(isinstance(a.tag, str) and a.tag.startswith("{" + XHTML_NS + "}") for a in node.iterancestors())


def _drop(node: Any) -> None:
    """A node removed with its tail kept (lxml removes the tail with the node)."""
    parent = node.getparent()
    if node.tail:
        prev = node.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _decimal_int(text: str) -> int | float:
    """A decimal written as an integer: an int, or past safejson.MAX_INT_DIGITS its text kept (a FloatText), which
    HL7 judges by checkDecimal's counts (TYPE_SPECIFIC_CHECKS_DT_DECIMAL_RANGE, a warning) and int() would refuse."""
    return int(text) if len(text) <= safejson.MAX_INT_DIGITS else safejson.FloatText(text)


@dataclass
class XmlFindings:
    """What FHIR XML says that its JSON form cannot show, collected while converting (HL7's XmlParser and
    InstanceValidator report each): ``out_of_order`` (element path, name, the name it follows) for a child element
    met before one its definition comes after (VALIDATION_VAL_PROFILE_OUTOFORDER; JSON's properties have no order);
    ``undefined`` (element path, what) for an attribute that is no ``xmlAttr`` property (``<Patient id="x">``:
    Resource.id is an element) and an ``xmlAttr`` property given as an element (``<extension><url value=".."/>``)
    (UNDEFINED_ATTRIBUTE__ON__FOR_TYPE__PROPERTIES__, UNDEFINED_ELEMENT_); ``stray_text`` (element path, text) for
    text content of a FHIR element, before, between or after its children (TEXT_SHOULD_NOT_BE_PRESENT);
    ``wrong_namespace`` (element path, namespace found) for a known child element outside FHIR's namespace, which
    HL7's XmlParser still reads by its local name (getElementProp's second scan) after checkElement reports it
    (WRONG_NAMESPACE__EXPECTED_); without findings such an element stops the conversion."""

    out_of_order: list[tuple[str, str, str]] = field(default_factory=list)
    undefined: list[tuple[str, str]] = field(default_factory=list)
    stray_text: list[tuple[str, str]] = field(default_factory=list)
    wrong_namespace: list[tuple[str, str]] = field(default_factory=list)


def xml_to_json(
    data: bytes,
    source: DefinitionSource,
    *,
    parse_float: Callable[[str], Any] = safejson.parse_float,
    allow_no_namespace: bool = False,
    findings: XmlFindings | None = None,
) -> Json:
    """Convert one FHIR XML resource (document bytes) to its FHIR JSON form.

    ``allow_no_namespace`` reads elements without any namespace as FHIR's: 9 of UK Core 2.0.2's
    examples omit ``xmlns``. Off by default because FHIR XML requires the namespace. ``findings``, when
    given, collects what FHIR's XML form says that its JSON form cannot (XmlFindings), left out of the JSON;
    without it such content is kept in the JSON as unknown properties (``#text`` for text) and order is not judged.
    """
    return element_to_json(parse_xml(data), source, parse_float=parse_float, allow_no_namespace=allow_no_namespace,
                           findings=findings)


def element_to_json(
    root: Any,
    source: DefinitionSource,
    *,
    parse_float: Callable[[str], Any] = safejson.parse_float,
    allow_no_namespace: bool = False,
    findings: XmlFindings | None = None,
) -> Json:
    """:func:`xml_to_json` for an element already parsed by :func:`parse_xml` (look before converting)."""
    converter = _Converter(source, parse_float, (FHIR_NS, None) if allow_no_namespace else (FHIR_NS,))
    converter.findings = findings
    out = converter.resource(root, "")
    return _restore(out) if root.getroottree().docinfo.xml_version == "1.1" else out


def _local(el: Any) -> tuple[str | None, str]:
    qname = etree.QName(el)
    return qname.namespace, qname.localname


def _many(el: Json) -> bool:
    """Whether the base definition repeats (a JSON array, indexed in a location)."""
    return bool(el.get("base", {}).get("max", el.get("max")) != "1")


def _xml_attr(el: Json | None) -> bool:
    """Whether a definition's element is written as an XML attribute (``Element.id``, ``Extension.url``)."""
    return el is not None and "xmlAttr" in el.get("representation", ())


def _type_code(t: Json) -> str:
    """The FHIR type of an ElementDefinition type (``System.String`` ids/urls carry it in an extension)."""
    code: str = t.get("code", "")
    if code.startswith("http://hl7.org/fhirpath/System."):
        for ext in t.get("extension", []):
            if ext.get("url") == FHIR_TYPE_EXT:
                return str(ext.get("valueUrl") or ext.get("valueUri") or code)
    return code


class _Converter:
    def __init__(
        self, source: DefinitionSource, parse_float: Callable[[str], Any], namespaces: tuple[str | None, ...]
    ) -> None:
        self.source = source
        self.namespaces = namespaces
        self.parse_float = parse_float
        self._children: dict[str, dict[str, dict[str, Json]]] = {}
        self._kinds: dict[str, str | None] = {}
        self.findings: XmlFindings | None = None

    def check_order(self, el: Any, defs: dict[str, Json], loc: str) -> None:
        """Record the child elements that come before one their definition follows (unknown ones are not judged),
        at the instance's path (``Patient.name[0].family``), as the JSON the validator walks names it."""
        if self.findings is None:
            return
        position = {key: i for i, key in enumerate(defs)}
        counts = Counter(etree.QName(c).localname for c in el if isinstance(c.tag, str))
        seen: Counter[str] = Counter()
        last, last_name = -1, ""
        for child in el:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            seen[name] += 1
            found = self.match(name, defs)
            if found is None:
                continue
            index = position.get(found[0]["path"].rsplit(".", 1)[-1], -1)
            if index < last:
                at = f"[{seen[name] - 1}]" if _many(found[0]) or counts[name] > 1 else ""
                self.findings.out_of_order.append((f"{loc}.{name}{at}", name, last_name))
            last, last_name = index, name

    def kind(self, code: str) -> str | None:
        if code not in self._kinds:
            sd = self.source.structure(code)
            self._kinds[code] = sd.get("kind") if sd else None
        return self._kinds[code]

    def children(self, type_name: str, path: str) -> dict[str, Json]:
        """Child element definitions of ``path`` in the type's base snapshot, by last path segment."""
        table = self._children.get(type_name)
        if table is None:
            table = {}
            sd = self.source.structure(type_name)
            for el in (sd or {}).get("snapshot", {}).get("element", []):
                if "sliceName" in el or ":" in el.get("id", ""):
                    continue
                parent, _, name = el["path"].rpartition(".")
                table.setdefault(parent, {})[name] = el
            self._children[type_name] = table
        return table.get(path, {})

    def resource(self, el: Any, loc: str) -> Json:
        """A resource; ``loc`` is where it sits in the document ("" for the document's own root)."""
        ns, name = _local(el)
        if ns not in self.namespaces:
            raise FhirXmlError(f"<{name}> is not in the FHIR namespace {FHIR_NS} (found {ns or 'none'})", el.sourceline)
        out: Json = {"resourceType": name}
        if self.source.structure(name) is None:
            out.update(self.generic_children(el))
            return out
        out.update(self.complex(el, name, name, loc or name))
        return out

    def complex(self, el: Any, type_name: str, path: str, loc: str, *, value_attr: bool = False) -> Json:
        """A complex element (or resource body): attributes and child elements. ``value_attr``: a primitive's
        element, whose ``value`` attribute its caller reads."""
        defs = self.children(type_name, path)
        out: Json = {}
        for attr, value in el.attrib.items():
            if attr.startswith("{") or attr == "resourceDefinition":
                # namespaced attributes such as xsi:schemaLocation carry no FHIR content; resourceDefinition (R5's
                # additional resources) is passed over on any element (XmlParser.parseChildren's attribute loop)
                continue
            if self.findings is not None and not (value_attr and attr == "value") and not _xml_attr(defs.get(attr)):
                self.findings.undefined.append((loc, f"the attribute '{attr}' is not allowed on <{_local(el)[1]}> "
                                                     f"(no FHIR property of that name is an XML attribute)"))
                continue
            out[attr] = value
        groups: dict[str, list[Any]] = {}
        # HL7's XmlParser.parseChildren: every text node of a FHIR element that is not only whitespace, before,
        # between or after its children, is an error (TEXT_SHOULD_NOT_BE_PRESENT); R4 has no text content. Whitespace
        # is what Java's String.trim() takes (up to U+0020): a no-break space between elements is text to HL7
        stray = self.findings.stray_text if self.findings is not None else None
        text = el.text
        if text and (kept := java_text.trim(text)):
            if stray is None:
                out["#text"] = kept
            else:
                stray.append((loc, kept))
        for child in el:
            if stray is not None and (tail := child.tail) and (kept := java_text.trim(tail)):
                stray.append((loc, kept))
            if not isinstance(child.tag, str):
                continue
            groups.setdefault(etree.QName(child).localname, []).append(child)
        self.check_order(el, defs, loc)
        for name, elements in groups.items():
            self.member(out, name, elements, defs, type_name, loc)
        return out

    def match(self, name: str, defs: dict[str, Json]) -> tuple[Json, str] | None:
        """The definition and FHIR type for an XML element name, resolving choice types."""
        el = defs.get(name)
        if el is not None and "representation" not in el:
            types = el.get("type", [])
            return el, _type_code(types[0]) if len(types) == 1 else ""
        for key, el in defs.items():
            if key.endswith("[x]") and name.startswith(key[:-3]):
                suffix = name[len(key) - 3 :]
                for t in el.get("type", []):
                    code = _type_code(t)
                    if code[:1].upper() + code[1:] == suffix:
                        return el, code
        return None

    def member(self, out: Json, name: str, elements: list[Any], defs: dict[str, Json], type_name: str,
               loc: str) -> None:
        found = self.match(name, defs)
        foreign = [(i, ns) for i, child in enumerate(elements) if (ns := _local(child)[0]) not in self.namespaces
                   and ns != XHTML_NS]
        if foreign and self.findings is None:
            raise FhirXmlError(f"<{name}> is in namespace {foreign[0][1] or 'none'}, not FHIR's",
                               elements[foreign[0][0]].sourceline)
        if found is None and self.findings is not None and _xml_attr(defs.get(name)):
            self.findings.undefined.append((loc, f"the element <{name}> is not allowed: '{name}' is written as "
                                                 f"an XML attribute"))
            return
        if found is None:
            values = [self.generic(child) for child in elements]
            out[name] = values[0] if len(values) == 1 else values
            return
        el, code = found
        many = _many(el)
        at = [f"{loc}.{name}[{i}]" if many or len(elements) > 1 else f"{loc}.{name}" for i in range(len(elements))]
        if foreign and code != "xhtml" and self.findings is not None:  # a div's: the narrative's rules judge it
            self.findings.wrong_namespace.extend((at[i], ns or "none") for i, ns in foreign)
        if "contentReference" in el:
            target = el["contentReference"].split("#", 1)[1]
            values = [self.complex(child, type_name, target, at[i]) for i, child in enumerate(elements)]
        elif code == "xhtml":
            values = [etree.tostring(child, encoding="unicode", with_tail=False) for child in elements]
        elif code == "Resource":
            values = [self.contained(child, at[i]) for i, child in enumerate(elements)]
        elif code in ("BackboneElement", "Element") and self.children(type_name, el["path"]):
            values = [self.complex(child, type_name, el["path"], at[i]) for i, child in enumerate(elements)]
        elif self.kind(code) == "primitive-type":
            self.primitives(out, name, elements, code, many, at)
            return
        else:
            values = [self.complex(child, code, code, at[i]) for i, child in enumerate(elements)]
        out[name] = values if many else values[0] if len(values) == 1 else values

    def primitives(self, out: Json, name: str, elements: list[Any], code: str, many: bool, at: list[str]) -> None:
        values: list[Any] = []
        extras: list[Json | None] = []
        for i, child in enumerate(elements):
            # Element's own definition gives @id and <extension>; anything else is kept for the validator, a
            # <value> child element too (HL7: ILLEGAL_PROPERTY / Undefined element 'value'), which complex() writes
            # over the value attribute's copy: the attribute is read from the element itself
            raw = child.get("value")
            extra = self.complex(child, "Element", "Element", at[i], value_attr=True)
            if not any(isinstance(c.tag, str) and etree.QName(c).localname == "value" for c in child):
                extra.pop("value", None)
            elif self.findings is not None:  # XmlParser: "Undefined element 'value'", dropped (unlike JSON's)
                extra.pop("value", None)
                self.findings.undefined.append((at[i], "the element <value> is not allowed: a primitive's value is "
                                                       "its value attribute"))
            values.append(self.typed(raw, code) if raw is not None else None)
            # {}: neither a value nor content, kept as an empty shadow so that ele-1 judges it (as HL7's ele-1 and
            # TYPE_SPECIFIC_CHECKS_DT_PRIMITIVE_VALUEEXT do), not as an empty string of the wrong JSON type
            extras.append(extra if extra or raw is None else None)
        if many:
            if any(v is not None for v in values):
                out[name] = values
            if any(e is not None for e in extras):
                out["_" + name] = extras
        else:
            if len(values) > 1:  # too many for the definition: keep all, the validator reports cardinality
                out[name] = values
                return
            if values[0] is not None:
                out[name] = values[0]
            if extras[0] is not None:
                out["_" + name] = extras[0]

    def typed(self, raw: str, code: str) -> Any:
        if code == "boolean" and raw in ("true", "false"):
            return raw == "true"
        if code in _INT_TYPES and _INTEGER.fullmatch(raw):
            # more digits than a JSON integer may hold (safejson.MAX_INT_DIGITS; int() raises past 4,300): kept as
            # text, not an integer (HL7: Utilities.isInteger false, TYPE_SPECIFIC_CHECKS_DT_INTEGER_VALID)
            return int(raw) if len(raw) <= safejson.MAX_INT_DIGITS else raw
        if code == "decimal" and _DECIMAL.fullmatch(raw):
            return json.loads(raw, parse_float=self.parse_float, parse_int=_decimal_int)
        return raw

    def contained(self, el: Any, loc: str) -> Json:
        """The resource a ``contained``, ``resource`` or ``outcome`` element holds: its first element, as HL7's
        XmlParser.parseResource reads ``XMLUtil.getFirstChild(container)`` and nothing after it (no error)."""
        inner = next((child for child in el if isinstance(child.tag, str)), None)
        if inner is None:
            raise FhirXmlError(f"<{_local(el)[1]}> must hold a resource, found none", el.sourceline)
        return self.resource(inner, loc)

    def generic(self, el: Any) -> Any:
        """An element no definition describes: keep its content in the plainest JSON shape."""
        if len(el) == 0 and set(el.attrib) <= {"value"}:
            return el.get("value", (el.text or "").strip())
        out: Json = {k: v for k, v in el.attrib.items() if not k.startswith("{")}
        out.update(self.generic_children(el))
        return out

    def generic_children(self, el: Any) -> Json:
        out: Json = {}
        for child in el:
            if isinstance(child.tag, str):
                name = etree.QName(child).localname
                value = self.generic(child)
                if name in out:
                    out[name] = (out[name] if isinstance(out[name], list) else [out[name]]) + [value]
                else:
                    out[name] = value
        return out
