"""A primitive with extensions is one FHIRPath item, as in HL7's engine, not fhirpathpy's two.

fhirpathpy 2.2 navigates ``birthDate`` with a ``_birthDate`` beside it to two items, the value and the
``_birthDate`` object, so ``birthDate.toString()`` is empty and ``birthDate.substring(0, 4)`` raises: AU Base's
inv-pat-0 (``birthDate.extension(birthTime).value.toString().substring(0,10) = birthDate.toString()``) failed
on its own example. Here the value is one item carrying its ``_name`` object, whose ``id`` and ``extension``
it answers to (``birthDate.extension(url)``); a primitive with extensions and no value is still the
``_name`` object alone, as before (fhirpath.engine drops it from results, ``hasValue()`` skips it).

A primitive's ``value`` is that primitive (HL7's engine answers it; fhirpathpy finds no such member).

Only the validator's own evaluations (a context with ``PRIMITIVES_WHOLE``) are affected: fhirpathpy's
navigation is kept for every other caller of the library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhirpathpy.engine import do_eval
from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.engine.util import get_data

PRIMITIVES_WHOLE = "conformancePrimitivesWhole"  # set in a fhirpathpy context: navigate primitives as one item
_FHIRPATHPY_MEMBER = evaluators["MemberInvocation"]


def _mapping(value: Any) -> bool:
    """``isinstance(value, Mapping)``, a plain dict and None (the commonest values here) told without the ABC's
    slower check."""
    return value is not None and (type(value) is dict or isinstance(value, Mapping))


def _pair(value: Any, shadow: Any, path: str, prop: str, index: int | None) -> ResourceNode | None:
    if value is None and shadow is None:
        return None
    if value is None:  # extensions and no value: the _name object, as fhirpathpy has it
        return ResourceNode(shadow, path, None, prop, index)  # type: ignore[no-untyped-call]
    return ResourceNode(value, path, shadow if _mapping(shadow) else None, prop, index)  # type: ignore[no-untyped-call]


def _children(model: dict[str, Any], key: str, res: ResourceNode) -> list[ResourceNode] | None:
    """``res.key`` with each value paired with its ``_key`` entry; None: left to fhirpathpy."""
    data, own = res.data, res._data
    child_path = f"{res.path}.{key}" if res.path else f"_.{key}"
    full_path = (f"{res.propName}.{key}" if res.propName else child_path).replace("_", "")
    if _mapping(data):
        child_path = model["pathsDefinedElsewhere"].get(child_path, child_path)
        value, shadow = data.get(key), data.get(f"_{key}")
        for suffix in model["choiceTypePaths"].get(child_path) or ():
            value, shadow = data.get(key + suffix), data.get(f"_{key}{suffix}")
            if value is not None or shadow is not None:
                child_path += suffix
                break
        if key == "extension":
            child_path = "Extension"
    elif _mapping(own) and key in ("id", "extension"):  # a primitive's own id and extensions
        value, shadow = own.get(key), None
        child_path = "Extension" if key == "extension" else "string"
    elif key == "value" and data is not None and not isinstance(data, list):
        # a primitive's ``value`` is its value, as HL7's engine answers it (elementmodel.Element.getProperty:
        # isPrimitive() and "value"): DEQM's ra-3, value.startsWith('MeasureReport.group.where(id=') on a valueString
        return [res]
    else:
        return None
    child_path = model["path2Type"].get(child_path, child_path)
    if isinstance(value, list) or isinstance(shadow, list):
        values = value if isinstance(value, list) else []
        shadows = shadow if isinstance(shadow, list) else []
        pairs = (_pair(values[i] if i < len(values) else None, shadows[i] if i < len(shadows) else None,
                       child_path, f"{full_path}[{i}]", i) for i in range(max(len(values), len(shadows))))
        return [p for p in pairs if p is not None]
    single = _pair(value, shadow, child_path, full_path, None)
    return [single] if single is not None else []


def member_invocation(ctx: dict[str, Any], parent_data: Any, node: Any) -> Any:
    """fhirpathpy's MemberInvocation, with a primitive and its extensions as one item in our contexts."""
    if not ctx.get(PRIMITIVES_WHOLE) or not isinstance(parent_data, list) or not isinstance(ctx.get("model"), dict):
        return _FHIRPATHPY_MEMBER(ctx, parent_data, node)
    key = do_eval(ctx, parent_data, node["children"][0])[0].replace("`", "")  # type: ignore[no-untyped-call]
    if key[:1].isupper():  # a resource type (Bundle.entry.resource.Patient): fhirpathpy's own answer
        return _FHIRPATHPY_MEMBER(ctx, parent_data, node)
    out: list[Any] = []
    for item in parent_data:
        res = ResourceNode.create_node(item)  # type: ignore[no-untyped-call]
        found = _children(ctx["model"], key, res)
        out.extend(found if found is not None else _FHIRPATHPY_MEMBER(ctx, [res], node))
    return out


def extension(ctx: Any, inputs: list[Any], url: Any) -> list[Any]:
    """``extension(url)``: every extension with that url, on an element or on a primitive (its ``_name``), its
    modifier extensions included, as FHIRPathEngine.funcExtension reads both ``extension`` and
    ``modifierExtension`` (fhirpathpy's ``extension`` member only the first)."""
    out: list[Any] = []
    for item in inputs:
        element = get_data(item)  # type: ignore[no-untyped-call]
        if not isinstance(element, Mapping) and isinstance(item, ResourceNode) and isinstance(item._data, Mapping):
            element = item._data
        if isinstance(element, Mapping):
            for name in ("extension", "modifierExtension"):
                for ext in element.get(name) or ():
                    if isinstance(ext, Mapping) and ext.get("url") == url:
                        out.append(ResourceNode.create_node(ext, "Extension"))  # type: ignore[no-untyped-call]
    return out


evaluators["MemberInvocation"] = member_invocation
