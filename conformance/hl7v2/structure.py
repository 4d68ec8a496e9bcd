"""Segment order, groups and required segments: matching a message's segments to its structure.

First a real parse of the structure's abstract message syntax (``grammar.py``): every way the
segments can be read against the grammar is followed, so an optional repeating group that begins with
the same segment as the next one (OML^O33's ORC-TQ1-OBR starting a new ORDER rather than a prior
result) is read as the standard reads it. A message that parses has no structural defect. Only one
that does not is handed to the diagnosing matcher below.

The diagnosing matcher is greedy with one segment of look-ahead, as HAPI and the NIST validator do: each segment is
placed at the earliest position at or after the current one that can take it, entering a group when
the segment can begin it. A segment that fits nowhere ahead is reported where it stands (out of order,
repeated too often, or not in the structure) and skipped, so the rest of the message is still checked
and every problem is reported. A required segment that is missing only because it stands in the wrong
place is reported once, as out of order, not a second time as missing.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.hl7v2.grammar import parses
from conformance.hl7v2.message import Segment
from conformance.hl7v2.outcome import Issue
from conformance.hl7v2.standard import Node


class _Matcher:
    def __init__(self, segments: list[Segment], ignore: Callable[[Segment], bool], root: Node) -> None:
        self.segments = segments
        self.ignore = ignore
        self.root = root
        self.i = 0
        self.issues: list[Issue] = []
        self.missing: list[Issue] = []
        self.misplaced: set[str] = set()
        self.known = _segment_ids(root)
        self.choice = _choices(root)

    def peek(self) -> Segment | None:
        while self.i < len(self.segments) and self.ignore(self.segments[self.i]):
            self.i += 1
        return self.segments[self.i] if self.i < len(self.segments) else None

    def last_line(self) -> int | None:
        return self.i if 0 < self.i <= len(self.segments) else None

    def sequence(self, children: tuple[Node, ...], group: str, top: bool) -> None:
        counts = [0] * len(children)
        if not top and (seg := self.peek()) is not None and self.choice.get(group):
            # A choice group holds exactly one of its members: the one the segment can begin.
            for j, child in enumerate(children):
                if seg.name in child.first:
                    self._place(seg, children, counts, j)
                    return
            return
        k = 0
        while (seg := self.peek()) is not None:
            placed = self._place(seg, children, counts, k)
            if placed < 0:
                if not top:
                    break
                self._unexpected(seg)
                self.i += 1
                continue
            k = placed
        for j, child in enumerate(children):
            if counts[j] < child.min:
                self._missing(child, group)

    def _place(self, seg: Segment, children: tuple[Node, ...], counts: list[int], k: int) -> int:
        """Place ``seg`` at child ``k`` or later; the index it went to, or -1 when none can take it."""
        for j in range(k, len(children)):
            child = children[j]
            if seg.name not in child.first or (child.max != -1 and counts[j] >= child.max):
                continue
            before = self.i
            if child.is_group:
                self.sequence(child.children, child.name, top=False)
            else:
                self.i += 1
            if self.i == before:
                continue
            counts[j] += 1
            return j
        return -1

    def _unexpected(self, seg: Segment) -> None:
        self.misplaced.add(seg.name)
        where, line = seg.label, self.i + 1
        if seg.name in self.known:
            text = (f"segment {seg.name} is out of order here, or occurs more often than structure "
                    f"{self.root.name} allows")
            self.issues.append(Issue("segment-order", text, where, line))
        elif seg.name.startswith("Z"):
            self.issues.append(Issue("z-segment", f"Z-segment {seg.name} is not allowed by the profile",
                                     where, line))
        else:
            self.issues.append(Issue("unexpected-segment",
                                     f"segment {seg.name} is not part of message structure {self.root.name}",
                                     where, line))

    def _missing(self, child: Node, group: str) -> None:
        if child.is_group:
            needed = _first_required(child)
            text = f"required group {_short(child.name)} is missing (it begins with segment {needed})"
        else:
            needed = child.name
            text = f"required segment {needed} is missing"
        if group != self.root.name:
            text += f" from group {_short(group)}"
        self.missing.append(Issue("missing-segment", text, needed, self.last_line()))


def _short(group: str) -> str:
    """ORU_R01_ORDER_OBSERVATION -> ORDER_OBSERVATION: the name the standard's tables print."""
    parts = group.split("_")
    return "_".join(parts[2:]) if len(parts) > 2 else group


def _first_required(node: Node) -> str:
    for child in node.children:
        if child.min > 0:
            return _first_required(child) if child.is_group else child.name
    return node.children[0].name if node.children else node.name


def _choices(node: Node) -> dict[str, bool]:
    out = {node.name: node.choice}
    for child in node.children:
        out.update(_choices(child))
    return out


def _segment_ids(node: Node) -> set[str]:
    if not node.is_group:
        return {node.name}
    out: set[str] = set()
    for child in node.children:
        out |= _segment_ids(child)
    return out


def match(segments: list[Segment], root: Node, ignore: Callable[[Segment], bool]) -> list[Issue]:
    """Every structural problem of ``segments`` against ``root``; ``ignore`` skips allowed Z-segments."""
    if parses([s.name for s in segments if not ignore(s)], root):
        return []
    matcher = _Matcher(segments, ignore, root)
    matcher.sequence(root.children, root.name, top=True)
    missing = [m for m in matcher.missing if m.where not in matcher.misplaced]
    found = matcher.issues + missing
    if not found:  # the diagnosis found nothing to name, but the grammar still does not accept the message
        found.append(Issue("segment-order", f"the segments do not follow message structure {root.name} "
                           "(no reading of its groups accepts this order)", "", None))
    return found
