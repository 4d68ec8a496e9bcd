"""GS1 Digital Link URIs: reading one into element strings and writing element strings as one.

Any domain and any path prefix are allowed (GS1 Digital Link 1.2); the primary key and its
qualifiers are the trailing ``/AI/value`` pairs of the path, found by walking back from the end until
a primary key, and data attributes are numeric AI keys in the query. Other query parameters
(``linkType``...) are not GS1 data and are left alone. Compressed URIs are refused with a message.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from conformance.gs1.dictionary import AiEntry, AiTable
from conformance.gs1.outcome import Element, Issue

DEFAULT_DOMAIN = "https://id.gs1.org"
# RFC 3986 section 2: a URI holds only unreserved and reserved characters and "%" of a percent-encoding.
_URI_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")
_BAD_DOMAIN = frozenset("_~?#@!$&'()*+,;=%")  # ":" before a port is allowed
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_COMPRESSED = re.compile(r"^[A-Za-z0-9_-]{8,}$")


class ConversionError(ValueError):
    """The data cannot be written in the requested form; the message says why."""


def _decode(raw: str, where: int, issues: list[Issue], ai: str, query: bool = False) -> str | None:
    bad = _BAD_PERCENT.search(raw)
    if bad:
        issues.append(Issue("dl-encoding", "'%' must start a percent-encoded byte such as %2F",
                            (ai,), where + bad.start()))
        return None
    if query and "+" in raw:
        # A query string is decoded as application/x-www-form-urlencoded: "+" is a space. The GS1
        # Digital Link URI Syntax (1.2, ABNF: XSYMBOL writes a data "+" as Plus = "%2B") never leaves
        # a data "+" bare, and GS1's reference Syntax Engine (dl.c, URIunescape of query components)
        # decodes a bare "+" in a query value as a space, which no GS1 character set allows.
        issues.append(Issue("dl-encoding", "'+' in a query value decodes to a space (form encoding); a plus sign "
                            "in the data is written %2B", (ai,), where + raw.index("+"), severity="information"))
        raw = raw.replace("+", " ")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        issues.append(Issue("dl-encoding", "percent-encoded bytes are not UTF-8", (ai,), where))
        return None


def _qualifiers_ok(entry: AiEntry, qualifiers: list[str]) -> bool:
    for sequence in entry.dlpkey or ():
        at = 0
        for q in qualifiers:
            if q not in sequence[at:]:
                break
            at = sequence.index(q, at) + 1
        else:
            return True
    return False


def _sequences(entry: AiEntry) -> str:
    seqs = [" then ".join(f"/{q}/" for q in seq) for seq in entry.dlpkey or () if seq]
    return " or ".join(seqs) if seqs else "none"


def _check_characters(uri: str, start: int, issues: list[Issue]) -> None:
    """RFC 3986: characters outside the URI set (space, <, >, ", non-ASCII...) must be percent-encoded."""
    bad = [i for i, ch in enumerate(uri) if ch not in _URI_CHARS]
    if bad:
        ch = uri[bad[0]]
        enc = "".join(f"%{b:02X}" for b in ch.encode("utf-8", errors="replace"))
        more = f" ({len(bad)} such characters)" if len(bad) > 1 else ""
        issues.append(Issue("dl-syntax", f"{describe(ch)} is not allowed in a URI (RFC 3986 section 2): it must be "
                            f"percent-encoded as {enc}{more}", position=start + bad[0]))


def describe(ch: str) -> str:
    return "a space" if ch == " " else (repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}")


def parse_digital_link(text: str, start: int, table: AiTable, issues: list[Issue]) -> list[Element]:
    uri = text[start:]
    _check_characters(uri, start, issues)
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        issues.append(Issue("dl-syntax", f"not a valid URI: {exc}", position=start))
        return []
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        issues.append(Issue("not-gs1", "a GS1 Digital Link URI is http:// or https:// with a domain",
                            position=start))
        return []
    bad = next((i for i, ch in enumerate(parts.netloc) if ch in _BAD_DOMAIN), None)
    if bad is not None:
        # RFC 3986 reg-name admits sub-delims and percent-encodings, but a DNS host name (RFC 1123)
        # has none; GS1's Syntax Engine refuses these characters in the domain too.
        issues.append(Issue("dl-syntax", f"{parts.netloc[bad]!r} cannot be part of a domain name",
                            position=start + len(parts.scheme) + 3 + bad))
    at = start + len(parts.scheme) + 3 + len(parts.netloc)
    segments: list[tuple[str, int]] = []
    for seg in parts.path.split("/")[1:]:
        segments.append((seg, at + 1))
        at += 1 + len(seg)
    trailing = bool(segments) and segments[-1][0] == ""
    if trailing:
        # RFC 3986 allows it, but "/01/<GTIN>/" names another resource than "/01/<GTIN>", and GS1's
        # reference Syntax Engine finds no primary key at the end of such a path.
        issues.append(Issue("dl-syntax", "trailing '/': the URI path ends in an empty segment",
                            position=segments[-1][1] - 1))
        segments.pop()
    pairs: list[tuple[AiEntry, str, int]] = []
    i = len(segments)
    key: AiEntry | None = None
    while i >= 2:
        entry = table.get(segments[i - 2][0]) if segments[i - 2][0].isdigit() else None
        if entry is None:
            break
        pairs.insert(0, (entry, *segments[i - 1]))
        i -= 2
        if entry.dlpkey is not None:
            key = entry
            break
    # Empty segments in the stem (before the primary key) are the domain owner's business; in the
    # /AI/value pairs one is an AI or a value left out.
    empty = [where for seg, where in segments[i if key is not None else 0:] if seg == ""]
    if empty:
        issues.append(Issue("dl-syntax", "empty path segment ('//'): a Digital Link path is /AI/value pairs",
                            position=empty[0] - 1))
    if key is None:
        last = segments[-1][0] if segments else ""
        if _COMPRESSED.match(last) and not last.isdigit() and not pairs:
            issues.append(Issue("dl-compressed", "this looks like a compressed GS1 Digital Link URI; compressed "
                                "URIs are not supported: decompress it first (e.g. with the GS1 Syntax Engine)",
                                position=segments[-1][1]))
        else:
            issues.append(Issue("dl-primary-key", "no GS1 primary key (such as /01/ GTIN, /00/ SSCC, /414/ GLN, "
                                "/8018/ GSRN) ends the URI path", position=start))
        return []
    elements: list[Element] = []
    for entry, raw, where in pairs:
        value = _decode(raw, where, issues, entry.ai)
        if value is not None:
            elements.append(Element(entry.ai, value, where, value == raw))
    qualifiers = [entry.ai for entry, _, _ in pairs[1:]]
    if qualifiers and not _qualifiers_ok(key, qualifiers):
        allowed = {q for seq in key.dlpkey or () for q in seq}
        stray = [q for q in qualifiers if q not in allowed]
        if stray:
            text_ = f"/{stray[0]}/ is not a key qualifier of ({key.ai}); allowed: {_sequences(key)}"
        else:
            text_ = f"key qualifiers of ({key.ai}) must come in the order {_sequences(key)} (and not mixed)"
        issues.append(Issue("dl-qualifier-order", text_, (key.ai, *qualifiers), pairs[1][2] - 1))
    elements += _query_attributes(uri, start, parts.query, key, [e.ai for e, _, _ in pairs], table, issues)
    seen: dict[str, str] = {}
    for element in elements:
        if seen.get(element.ai) == element.value:  # different values: check_relations reports those
            issues.append(Issue("duplicate-ai", f"({element.ai}) appears twice in the URI (GS1 Digital Link: each "
                                "AI once, in the path or the query)", (element.ai,), element.start))
        seen.setdefault(element.ai, element.value)
    return elements


def _query_attributes(uri: str, start: int, query: str, key: AiEntry, path_ais: list[str], table: AiTable,
                      issues: list[Issue]) -> list[Element]:
    """Numeric query keys are AIs: permitted data attributes, not qualifiers that belong in the path."""
    elements: list[Element] = []
    qat = start + uri.find("?") + 1
    for param in query.split("&") if query else []:
        name, eq, raw = param.partition("=")
        where = qat + len(name) + 1
        qat += len(param) + 1
        if eq and not name:
            issues.append(Issue("dl-syntax", "a query parameter with no name before '='", position=where - 1))
            continue
        if not (name.isascii() and name.isdigit()) or not eq:
            continue  # not GS1 data: linkType, context, a bare flag ... are for the resolver
        entry = table.get(name)
        if entry is None:
            issues.append(Issue("unknown-ai", f"query key {name} is not a GS1 Application Identifier",
                                position=where - len(name) - 1))
            continue
        if not entry.dl_attribute:
            issues.append(Issue("dl-attribute", f"({name}) is not permitted as a Digital Link data attribute in "
                                "the query string", (name,), where - len(name) - 1))
        qualifiers = path_ais[1:]
        if entry.dl_attribute and any(_qualifiers_ok(key, [*qualifiers[:j], name, *qualifiers[j:]])
                                      for j in range(len(qualifiers) + 1)):
            # A key qualifier the path could take is not a data attribute (GS1 Digital Link URI Syntax:
            # key qualifiers are path elements; the Syntax Engine's "should be in the path info").
            issues.append(Issue("dl-attribute", f"({name}) is a key qualifier of ({key.ai}) here: it belongs in the "
                                f"path (/{key.ai}/.../{name}/...), not the query", (name,), where - len(name) - 1))
        value = _decode(raw, where, issues, name, query=True)
        if value is not None:
            elements.append(Element(name, value, where, value == raw))
    return elements


def _encode(value: str) -> str:
    """Percent-encode everything outside the URI unreserved set, so "/" and "?" in data stay data."""
    return quote(value, safe="")


def build_digital_link(elements: list[Element], table: AiTable, domain: str = DEFAULT_DOMAIN) -> str:
    """Write element strings as a canonical (uncompressed) Digital Link URI on ``domain``."""
    entries = [(e, table.get(e.ai)) for e in elements]
    key = next(((e, t) for e, t in entries if t is not None and t.dlpkey is not None), None)
    if key is None:
        raise ConversionError("no GS1 primary key (such as (01), (00), (414), (8018)) to build a Digital Link URI")
    key_el, key_entry = key
    present = {e.ai: e for e in elements}
    best = max(key_entry.dlpkey or ((),), key=lambda seq: sum(q in present for q in seq))
    path_ais = [key_el.ai, *[q for q in best if q in present]]
    path = "".join(f"/{ai}/{_encode(present[ai].value)}" for ai in path_ais)
    query = []
    for element, entry in entries:
        if element.ai in path_ais:
            continue
        if entry is None or not entry.dl_attribute:
            raise ConversionError(f"({element.ai}) cannot be carried in a Digital Link URI: it is neither a "
                                  f"qualifier of ({key_el.ai}) in this combination nor a permitted data attribute")
        query.append(f"{element.ai}={_encode(element.value)}")
    return domain.rstrip("/") + path + ("?" + "&".join(query) if query else "")
