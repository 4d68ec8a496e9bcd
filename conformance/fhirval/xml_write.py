"""FHIR JSON -> FHIR XML, driven by the definitions: the inverse of :mod:`conformance.fhirval.xml`.

Written so that the same content can be validated in both formats (bench/fhir_format_parity.py): a finding that
differs between a resource's JSON and its XML is a latent false alarm or miss found without an oracle. It is our
own rather than fhir.resources' because that library refuses invalid content (a parity run needs the invalid
resources too) and models R4B/R5, not R4. It writes what FHIR's XML rules say a JSON resource looks like:

- elements in their definition's order (JSON's properties have none), a repeating one's values in array order;
- a primitive as ``<name value="...">`` with its ``_name`` shadow's ``id`` (an attribute) and extensions
  (children), arrays of the two aligned by index (``null`` where one side has nothing);
- ``xmlAttr`` elements (``Element.id``, ``Extension.url``) as attributes;
- ``Narrative.div`` parsed as the XHTML it holds;
- a resource in ``contained`` / ``Bundle.entry.resource`` / ``Parameters.parameter.resource`` wrapped in its
  type's element.

Properties no definition knows are written in the plainest XML shape (a scalar as ``value``, an object as
children) so the validator still meets them. Content XML cannot express at all (a property name that is no XML
name, a div that is not XML) raises :class:`NotExpressible`: such a resource has no XML twin.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from conformance.fhirval.source import DefinitionSource, Json
from conformance.fhirval.xml import FHIR_NS, _Converter, _xml_attr

_LAST = 10**6  # unknown properties come after every known one


class NotExpressible(ValueError):
    """JSON content that has no FHIR XML form (so no twin to compare)."""


def json_to_xml(resource: Json, source: DefinitionSource) -> bytes:
    """The XML document (UTF-8, with a declaration) for one FHIR JSON resource; decimals kept as written when the
    JSON was parsed with ``parse_float=Decimal``."""
    root = _Writer(source).resource(resource)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _text(value: Any) -> str:
    """A JSON scalar's lexical form in XML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | str):
        return str(value)
    raise NotExpressible(f"a JSON {type(value).__name__} where a scalar belongs")


def _tag(name: str) -> str:
    try:
        etree.QName(FHIR_NS, name)
    except ValueError:
        raise NotExpressible(f"{name!r} is no XML element name") from None
    return f"{{{FHIR_NS}}}{name}"


class _Writer:
    def __init__(self, source: DefinitionSource) -> None:
        self.defs = _Converter(source, float, (FHIR_NS,))

    def resource(self, obj: Json) -> Any:
        kind = obj.get("resourceType")
        if not isinstance(kind, str):
            raise NotExpressible("a resource without a resourceType")
        el = etree.Element(_tag(kind), nsmap={None: FHIR_NS})
        if self.defs.source.structure(kind) is None:
            self.generic_members(el, {k: v for k, v in obj.items() if k != "resourceType"})
        else:
            self.complex(el, obj, kind, kind, resource=True)
        return el

    def complex(self, el: Any, obj: Json, type_name: str, path: str, *, resource: bool = False) -> None:
        """Write ``obj``'s properties into ``el``: attributes first, then children in definition order. A resource's
        ``resourceType`` is its element's name; anywhere else (ExampleScenario.instance) it is an element."""
        defs = self.defs.children(type_name, path)
        position = {key: i for i, key in enumerate(defs)}
        members: list[tuple[int, int, str]] = []
        for order, key in enumerate(obj):
            if (resource and key == "resourceType") or (key.startswith("_") and key[1:] in obj):
                continue  # the shadow is written with its primitive
            base = key[1:] if key.startswith("_") else key
            if _xml_attr(defs.get(key)) and isinstance(obj[key], str):
                el.set(key, obj[key])
                continue
            found = self.defs.match(base, defs)
            index = position.get(found[0]["path"].rsplit(".", 1)[-1], _LAST) if found else _LAST
            members.append((index, order, base))
        for _, _, name in sorted(members):
            self.member(el, obj, name, defs, type_name)

    def member(self, el: Any, obj: Json, name: str, defs: dict[str, Json], type_name: str) -> None:
        found = self.defs.match(name, defs)
        value, shadow = obj.get(name), obj.get("_" + name)
        if found is None:
            self.generic_members(el, {k: obj[k] for k in (name, "_" + name) if k in obj})
            return
        definition, code = found
        primitive = code != "xhtml" and "contentReference" not in definition  # xhtml is a primitive-type in R4
        if code and primitive and self.defs.kind(code) == "primitive-type":
            self.primitives(el, name, value, shadow)
            return
        if code == "xhtml":
            for item in value if isinstance(value, list) else [value]:
                self.xhtml(el, name, item)
        for item in value if isinstance(value, list) else [value]:
            if item is None or code == "xhtml":
                continue
            child = etree.SubElement(el, _tag(name))
            if not isinstance(item, dict):
                child.set("value", _text(item))
            elif "contentReference" in definition:
                self.complex(child, item, type_name, definition["contentReference"].split("#", 1)[1])
            elif code == "Resource":
                child.append(self.resource(item))
            elif code in ("BackboneElement", "Element") and self.defs.children(type_name, definition["path"]):
                self.complex(child, item, type_name, definition["path"])
            else:
                self.complex(child, item, code, code)
        if shadow is not None:
            self.generic_members(el, {"_" + name: shadow})

    def xhtml(self, el: Any, name: str, item: Any) -> None:
        if not isinstance(item, str):
            raise NotExpressible("XHTML that is not a string")
        try:
            div = etree.fromstring(item.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            raise NotExpressible(f"the {name} is not XML: {exc.msg}") from None
        el.append(div)

    def primitives(self, el: Any, name: str, value: Any, shadow: Any) -> None:
        values = value if isinstance(value, list) else [value]
        shadows = shadow if isinstance(shadow, list) else [shadow]
        if not isinstance(value, list) and isinstance(shadow, list):
            values = [value] + [None] * (len(shadows) - 1)
        for i in range(max(len(values), len(shadows))):
            v = values[i] if i < len(values) else None
            s = shadows[i] if i < len(shadows) else None
            if v is None and s is None:
                continue
            child = etree.SubElement(el, _tag(name))
            if isinstance(s, dict):
                self.complex(child, s, "Element", "Element")
            elif s is not None:
                self.generic_members(child, {"_": s})
            if v is not None:
                if isinstance(v, dict | list):
                    self.generic_members(child, {"value": v})
                else:
                    child.set("value", _text(v))

    def generic_members(self, el: Any, obj: Json) -> None:
        """Properties no definition describes, in the plainest XML shape."""
        for key, value in obj.items():
            for item in value if isinstance(value, list) else [value]:
                child = etree.SubElement(el, _tag(key))
                if isinstance(item, dict):
                    self.generic_members(child, item)
                elif item is not None:
                    child.set("value", _text(item))

