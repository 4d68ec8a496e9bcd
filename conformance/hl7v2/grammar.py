"""A message structure's abstract message syntax as an automaton: does a run of segments read as it?

HL7 v2 defines each structure as a grammar: sequences, optional and repeating segments and groups,
choices. Its groups can be ambiguous where they begin with the same segment (OML^O33's ORDER and
PRIOR_RESULT both begin with ORC; ORU^R01's PATIENT_RESULT can begin with the OBR of a next ORDER), so a
greedy reader goes wrong. The grammar is compiled once per structure into a nondeterministic automaton
(Thompson's construction: each occurrence of a node a fragment, repeats unrolled to their minimum and
maximum, unbounded ones looped) and run over the segment names keeping every state it could be in.
That follows every reading at once, in time linear in the message's length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.hl7v2.standard import Node


@dataclass
class _Automaton:
    moves: list[dict[str, list[int]]] = field(default_factory=list)  # state -> segment name -> states
    empty: list[list[int]] = field(default_factory=list)  # state -> states reached without a segment
    closures: dict[int, frozenset[int]] = field(default_factory=dict)

    def state(self) -> int:
        self.moves.append({})
        self.empty.append([])
        return len(self.moves) - 1

    def once(self, node: Node) -> tuple[int, int]:
        """A fragment reading one occurrence of ``node``: its start and end states."""
        start, end = self.state(), self.state()
        if not node.is_group:
            self.moves[start].setdefault(node.name, []).append(end)
        elif node.choice:
            for child in node.children:
                s, e = self.repeated(child)
                self.empty[start].append(s)
                self.empty[e].append(end)
        else:
            here = start
            for child in node.children:
                s, e = self.repeated(child)
                self.empty[here].append(s)
                here = e
            self.empty[here].append(end)
        return start, end

    def repeated(self, node: Node) -> tuple[int, int]:
        """A fragment reading ``node`` between its minimum and maximum number of times."""
        start = here = self.state()
        for _ in range(node.min):
            s, e = self.once(node)
            self.empty[here].append(s)
            here = e
        end = self.state()
        self.empty[here].append(end)
        if node.max == -1:
            s, e = self.once(node)
            self.empty[here].append(s)
            self.empty[e].append(here)
        else:
            for _ in range(max(node.max - node.min, 0)):
                s, e = self.once(node)
                self.empty[here].append(s)
                here = e
                self.empty[here].append(end)
        return start, end

    def closure(self, state: int) -> frozenset[int]:
        found = self.closures.get(state)
        if found is None:
            seen, todo = {state}, [state]
            while todo:
                for nxt in self.empty[todo.pop()]:
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            found = self.closures[state] = frozenset(seen)
        return found


_COMPILED: dict[int, tuple[Node, _Automaton, int, int]] = {}


def _compiled(root: Node) -> tuple[_Automaton, int, int]:
    """The automaton of ``root``, built once (structures are loaded once per version and kept)."""
    found = _COMPILED.get(id(root))
    if found is None or found[0] is not root:
        automaton = _Automaton()
        start, end = automaton.once(root)
        found = _COMPILED[id(root)] = (root, automaton, start, end)
    return found[1], found[2], found[3]


def parses(names: list[str], root: Node) -> bool:
    """Whether the segment names read as one message of structure ``root``, by the standard's grammar."""
    automaton, start, end = _compiled(root)
    current = automaton.closure(start)
    for name in names:
        step: set[int] = set()
        for state in current:
            for nxt in automaton.moves[state].get(name, ()):
                step |= automaton.closure(nxt)
        if not step:
            return False
        current = frozenset(step)
    return end in current
