"""The structure parser against the standard's grammar: every message the grammar generates parses,
it agrees with an independent backtracking reading on mutated messages, and a message it does not
accept is always reported (hypothesis); plus the OML^O33 reading HL7 gives."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.hl7v2 import standard, validate
from conformance.hl7v2.grammar import parses
from conformance.hl7v2.message import Segment
from conformance.hl7v2.standard import Node
from conformance.hl7v2.structure import match

STRUCTURES = [("2.5", "OML_O33"), ("2.5.1", "ORU_R01"), ("2.4", "ADT_A01"), ("2.5.1", "OML_O21"),
              ("2.5", "RSP_K21"), ("2.5.1", "VXU_V04"), ("2.6", "SIU_S12"), ("2.7", "RSP_K22"), ("2.8", "OML_O33"),
              ("2.3", "ORM_O01"), ("2.5.1", "ORM_O01")]


def names_of(draw: st.DrawFn, node: Node, depth: int = 0) -> list[str]:
    """One message of ``node``'s grammar: each child between its min and a small max, choices picked."""
    if not node.is_group:
        return [node.name]
    if node.choice:
        return names_of(draw, node.children[draw(st.integers(0, len(node.children) - 1))], depth + 1)
    out: list[str] = []
    for child in node.children:
        most = child.max if child.max != -1 else child.min + 2
        count = draw(st.integers(child.min, max(child.min, min(most, 2 if depth < 3 else child.min))))
        for _ in range(count):
            out += names_of(draw, child, depth + 1)
    return out


@st.composite
def generated(draw: st.DrawFn) -> tuple[Node, list[str]]:
    version, name = draw(st.sampled_from(STRUCTURES))
    root = standard.load(version).structures[name]
    return root, names_of(draw, root)


class Reference:
    """An independent reading of the grammar (memoised backtracking over end positions): the oracle."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.memo: dict[tuple[int, int], frozenset[int]] = {}

    def once(self, node: Node, at: int) -> frozenset[int]:
        """End positions of one occurrence of ``node`` starting at ``at`` (consuming at least nothing)."""
        key = (id(node), at)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = frozenset()  # a group cannot begin inside itself at the same place
        if not node.is_group:
            out = frozenset({at + 1}) if at < len(self.names) and self.names[at] == node.name else frozenset()
        elif node.choice:
            out = frozenset().union(*(self.repeat(child, at, 1, 1) for child in node.children))
        else:
            ends = frozenset({at})
            for child in node.children:
                ends = frozenset().union(*(self.repeat(child, p, child.min, child.max) for p in ends))
                if not ends:
                    break
            out = ends
        self.memo[key] = out
        return out

    def repeat(self, node: Node, at: int, least: int, most: int) -> frozenset[int]:
        """End positions of ``least`` to ``most`` (-1: any number of) occurrences of ``node`` from ``at``."""
        out: set[int] = {at} if least == 0 else set()
        frontier, count, seen = {at}, 0, {at}
        while frontier and (most == -1 or count < most):
            count += 1
            step = {e for p in frontier for e in self.once(node, p) if e > p}
            if count >= least:
                out |= step
            frontier = step - seen if count >= least else step
            seen |= step
        return frozenset(out)


def reference_parses(names: list[str], root: Node) -> bool:
    return len(names) in Reference(names).once(root, 0)


def segments(names: list[str]) -> list[Segment]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(Segment(name, seen[name]))
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=generated())
def test_every_message_the_grammar_generates_parses(case: tuple[Node, list[str]]) -> None:
    root, names = case
    assert parses(names, root) and reference_parses(names, root), names
    assert match(segments(names), root, lambda s: False) == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=generated(), data=st.data())
def test_a_message_the_grammar_rejects_is_always_reported(case: tuple[Node, list[str]], data: st.DataObject) -> None:
    root, names = case
    mutated = list(names)
    where = data.draw(st.integers(0, len(mutated) - 1))
    action = data.draw(st.sampled_from(["drop", "swap", "dup"]))
    if action == "drop":
        del mutated[where]
    elif action == "swap" and where + 1 < len(mutated):
        mutated[where], mutated[where + 1] = mutated[where + 1], mutated[where]
    else:
        mutated.insert(where, mutated[where])
    issues = match(segments(mutated), root, lambda s: False)
    assert parses(mutated, root) == reference_parses(mutated, root), mutated
    assert (issues == []) == parses(mutated, root), (mutated, issues)


OML_O33 = "\r".join([
    "MSH|^~\\&|A|B|C|D|20110708162817||OML^O33^OML_O33|1|P|2.5",
    "PID|||1^^^H^MR||DOE^JOHN",
    "SPM|1|100187400201^||BLDV",
    "ORC|NW|1",
    "TQ1|||||||||R",
    "OBR||1||TPO^TPO",
    "ORC|NW|2",
    "TQ1|||||||||R",
    "OBR||2||CA^CA",
])


def test_an_orc_after_an_order_starts_a_new_order_not_a_prior_result() -> None:
    assert validate(OML_O33).valid, [i.line_text() for i in validate(OML_O33).issues]
    # A real structural defect is still found: a second OBR with no ORC of its own.
    broken = validate(OML_O33.replace("ORC|NW|2\rTQ1|||||||||R\r", ""))
    assert [(i.defect, i.line) for i in broken.errors] == [("missing-segment", 7)]


def test_a_hand_written_reading_matches_hl7s_grammar() -> None:
    oru = standard.load("2.5.1").structures["ORU_R01"]
    assert parses(["MSH", "PID", "OBR", "OBX", "OBX", "OBR", "NTE", "OBX"], oru)
    assert not parses(["MSH", "PID", "OBX", "OBR"], oru)  # an OBX before its OBR
    assert not parses(["MSH", "PID", "PV1"], oru)  # no ORDER_OBSERVATION
