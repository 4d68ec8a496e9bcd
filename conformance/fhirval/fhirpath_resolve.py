"""``resolve()``, which fhirpathpy 2.2.4 lacks ("Not implemented: resolve"), as HL7's validator answers it.

R4's ctm-1 (CareTeam: ``member.resolve().iif(empty(), true, ofType(Practitioner).exists())``) and SDC's sdc-t1
(``focus.resolve() is ServiceRequest``) call it, so they were never evaluated. HL7's engine
(FHIRPathEngine.funcResolve) takes each Reference's ``reference`` (or a primitive's value): ``#id`` is looked
up in the containing resource's ``contained`` and is empty when absent; anything else goes to the validator's
host services (InstanceValidator's ``resolveReference``), which search the enclosing Bundle by HL7's fullUrl
rules (``resolveInBundle``) and then hand the URL to a fetcher: the IG publisher finds the guide's other
resources there, the command-line validator's fetcher the web. Neither is here, so a reference that the
resource and its Bundle do not resolve raises: the invariant is "not evaluated", never judged on a guess.
A Reference with neither ``reference`` nor ``identifier`` resolves to nothing, as in funcResolve.

``slice(structure, name)``, HL7's extension function (InstanceValidator.executeSlice: the items the validator
matched to that slice of that profile, ``%profile`` being the profile under way), is answered for the focus of an
invariant, whose slice the walk knows (SLICE_PLACE, set by invariants.evaluate); any other item raises.
"""

from __future__ import annotations

from typing import Any

from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.engine.util import get_data

from conformance.fhirval.bundles import entry_full_url, index_entries, resolve
from conformance.fhirval.source import items

# the evaluation context's keys for what one evaluation builds once, on first use: _owners(%rootResource) and
# the Bundle's entries by fullUrl
_OWNERS, _ENTRIES = "fhirval_resolve_owners", "fhirval_resolve_entries"


def _data(value: Any) -> Any:
    return value.data if isinstance(value, ResourceNode) else value


def _reference(item: Any) -> str | bool | None:
    """The URL an item refers by; None when it has no URL, False when it names nothing at all."""
    data = get_data(item)  # type: ignore[no-untyped-call]
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return False
    ref = data.get("reference")
    if isinstance(ref, str):
        return ref
    return None if "identifier" in data else False


def _owners(root: Any) -> dict[int, Any]:
    """id of each object in ``root`` -> the resource, not itself contained, whose tree holds it (the resource
    findContainingResource walks up to): a Bundle's own constraint reaching an entry's ``#id`` reference
    resolves in that entry's resource (fhir-test-cases bundle-resolve-deep). One walk per evaluation."""
    owners: dict[int, Any] = {}
    stack: list[tuple[Any, Any, bool]] = [(root, root, False)]
    while stack:
        node, owner, in_contained = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("resourceType"), str) and not in_contained:
                owner = node
            owners[id(node)] = owner
            stack.extend((v, owner, k == "contained") for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, owner, in_contained) for v in node if isinstance(v, (dict, list)))
    return owners


def _contained(ctx: Any, item: Any, resource: Any, root: Any, ident: str) -> Any:
    owners = ctx.get(_OWNERS)
    if owners is None or owners[0] is not root:
        owners = ctx[_OWNERS] = (root, _owners(root))
    data = get_data(item)  # type: ignore[no-untyped-call]
    container = owners[1].get(id(data)) or owners[1].get(id(resource)) or resource
    for res in items(container.get("contained")) if isinstance(container, dict) else ():
        if isinstance(res, dict) and res.get("id") == ident:
            return res
    return None


def _in_bundle(ctx: Any, ref: str, resource: Any, root: Any) -> Any:
    """The entry of the Bundle at the root that ``ref`` finds, from the entry holding ``resource``."""
    if not (isinstance(root, dict) and root.get("resourceType") == "Bundle" and isinstance(resource, dict)):
        return None
    table = ctx.get(_ENTRIES)
    if table is None or table[0] is not root:
        table = ctx[_ENTRIES] = (root, index_entries(root))
    base = entry_full_url(root, resource, {}) if resource is not root else None
    return resolve(table[1], ref, base)


def resolve_fn(ctx: Any, inputs: list[Any]) -> list[Any]:
    """The resources the items refer to, typed by their resourceType (``resolve() is Practitioner``)."""
    env = ctx.get("vars") or {}
    resource = _data(env.get("resource"))
    root = _data(env.get("rootResource"))
    out = []
    for item in inputs:
        ref = _reference(item)
        if ref is False:
            continue
        if ref is None:
            raise ValueError("resolve: a reference by identifier only cannot be resolved locally")
        assert isinstance(ref, str)
        if ref.startswith("#"):
            found = _contained(ctx, item, resource, root, ref[1:])
        else:
            found = _in_bundle(ctx, ref, resource, root)
            if found is None:
                raise ValueError(f"resolve: {ref!r} is neither contained nor in the Bundle")
        if isinstance(found, dict) and isinstance(found.get("resourceType"), str):
            out.append(ResourceNode.create_node(found, found["resourceType"]))  # type: ignore[no-untyped-call]
    return out


SLICE_PLACE = "fhirval_slice_place"  # the variable holding (profile url, slice name or None, id of the focus)


def slice_fn(ctx: Any, inputs: list[Any], structure: Any, name: Any) -> list[Any]:
    """The items in the slice ``name`` of the profile ``structure`` (e.hasSlice(sd, name)): known for the focus of
    an invariant of the profile being walked, which is in the slice it was walked as, or in none."""
    place = (ctx.get("vars") or {}).get(SLICE_PLACE)
    structure = structure[0] if isinstance(structure, list) and len(structure) == 1 else structure
    name = name[0] if isinstance(name, list) and len(name) == 1 else name
    if not isinstance(place, tuple) or not isinstance(structure, str) or not isinstance(name, str):
        raise ValueError("slice: no slicing known here")
    if structure.split("|")[0] != place[0]:
        raise ValueError(f"slice: {structure} is not the profile being walked")
    out = []
    for item in inputs:
        if id(get_data(item)) != place[2]:  # type: ignore[no-untyped-call]
            raise ValueError("slice: only the slice of the invariant's focus is known")
        if place[1] == name:
            out.append(item)
    return out


TABLE: dict[str, dict[str, Any]] = {"resolve": {"fn": resolve_fn},
                                    "slice": {"fn": slice_fn, "arity": {2: ["String", "String"]}}}
