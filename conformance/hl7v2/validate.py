"""Validate an HL7 v2 message against the standard and, optionally, a message profile: every problem, located.

Layers, each reporting all it finds: parsing (encoding characters, escapes, segment names), the
message structure of the version and trigger event (order, groups, required segments, Z-segments),
every field against the standard's definition (usage, repeats, datatypes, HL7 tables for ``ID``)
narrowed by the profile (usage R/RE/O/X/C, cardinality, length, value sets, fixed values, formats),
then the profile's conformance statements. Locations are ``PID-8``, ``PID-3[2].4``, ``OBX[3]-5``.
"""

from __future__ import annotations

from conformance.hl7v2 import standard
from conformance.hl7v2.datatypes import FORMATS, PRIMITIVES
from conformance.hl7v2.message import Message, ParseIssue, Segment, decode, parse
from conformance.hl7v2.outcome import Hl7Result, Issue
from conformance.hl7v2.profile import FieldSpec, Profile
from conformance.hl7v2.standard import Leaf
from conformance.hl7v2.structure import match
from conformance.hl7v2.tables import judge, table, version_key

Rep = list[list[str]]
# Fields typed by something else in the message, never by a fixed datatype: OBX-5 by OBX-2; a query's
# parameters (QPD-3 and the fields after it) by the query named in QPD-1, which only its profile defines.
QUERY_SEGMENTS = frozenset({"QPD", "RDT"})
# Every v2 version requires these MSH fields, so an empty one is a defect even in a version not checked.
MSH_ALWAYS_REQUIRED = (9, 10, 11, 12)


def validate(data: bytes | str | Message, profile: Profile | None = None) -> Hl7Result:
    result = Hl7Result(profile=profile.id if profile else "")
    if not isinstance(data, Message):
        text = decode(data).lstrip("\ufeff")
        bad = next((i for i, ch in enumerate(text[:100_000]) if ch < " " and ch not in "\r\n\t"), None)
        if bad is not None:
            result.issues.append(Issue("not-hl7v2", f"not an HL7 v2 message: control character 0x{ord(text[bad]):02X} "
                                       f"at offset {bad} (binary data, or MLLP framing left in)", severity="fatal"))
            return result
        data = parse(text)
    _Validator(data, profile, result).run()
    return result


def _present(rep: Rep) -> bool:
    return any(sub != "" for comp in rep for sub in comp)


def _parse_issue(issue: ParseIssue) -> Issue:
    text = issue.diagnostics
    defect = ("encoding" if issue.location == "MSH-2" else "escape" if "escape" in text
              else "separator" if "line feed" in text else "empty" if "empty" in text else "segment-id")
    where = "" if issue.location.startswith("segment ") else issue.location
    line = int(issue.location.split()[1]) if issue.location.startswith("segment ") else None
    return Issue(defect, text, where, line, issue.severity)


class _Validator:
    def __init__(self, message: Message, profile: Profile | None, result: Hl7Result) -> None:
        self.m, self.p, self.r = message, profile, result
        self.issues = result.issues
        self.version = message.version  # read once: Message.version scans the segments

    def add(self, defect: str, text: str, where: str = "", seg: Segment | None = None,
            severity: str = "error") -> None:
        line = self.m.segments.index(seg) + 1 if seg is not None else None
        self.issues.append(Issue(defect, text, where, line, severity))

    def run(self) -> None:
        m, p = self.m, self.p
        self.issues.extend(_parse_issue(i) for i in m.issues)
        if not m.segments or m.segments[0].name != "MSH" or any(i.severity == "fatal" for i in self.issues):
            return
        code, trigger, declared = m.type
        version = m.version
        self.r.message_type, self.r.version = f"{code}^{trigger}", version
        self.r.control_id = m.segments[0].value(10)
        if p is not None and f"{code}^{trigger}" != p.message:
            self.add("message-type", f"MSH-9 is {code}^{trigger} but profile {p.id} is for {p.message}", "MSH-9.1",
                     m.segments[0])
        self._encoding_characters(m.segments[0], version)
        std = standard.load(version) if version in standard.VERSIONS else None
        if p is not None and p.versions and version not in p.versions:
            self.add("version", f"MSH-12 version {version!r} is not one profile {p.id} allows "
                     f"({', '.join(p.versions)})", "MSH-12", m.segments[0])
        if std is None:
            self._unchecked_version(m.segments[0], version)
            if p is None:
                return
        else:
            found = std.structure_for(code, trigger, declared)
            if code.startswith("Z") or trigger.startswith("Z"):
                # A Z message or event is defined by the site that uses it, segments and all.
                self.add("message-type", f"MSH-9 {code}^{trigger} is a locally defined (Z) message or event: its "
                         "structure is not checked", "MSH-9", m.segments[0], "information")
            elif found is None and code:
                # A wrong code or event is reported against tables 0076 and 0003; a right one whose structure
                # the definitions lack (ADT_A12 in hl7apy's v2.4) cannot be judged here.
                self.add("message-type", f"MSH-9 {code}^{trigger}: v{version} definitions name no message "
                         "structure for it; structure not checked", "MSH-9", m.segments[0], "information")
            elif found is not None:
                expected = [e for e in standard.expected_structures(code, trigger, version) if e in std.structures]
                if declared and expected and declared not in expected:
                    self.add("message-type", f"MSH-9.3 is {declared}, but {code}^{trigger} messages of v{version} "
                             f"have structure {' or '.join(expected)} (HL7 table 0354)", "MSH-9.3", m.segments[0])
                    found = (expected[0], std.structures[expected[0]])  # the event decides; one defect, not two
                self.r.structure = found[0]
                self.issues.extend(match(m.segments, found[1], self._z_allowed))
        self._segments()
        for seg in m.segments:
            defs = std.segments.get(seg.name, ()) if std else ()
            self._fields(seg, defs)
        if p is not None:
            self._statements(p)

    def _encoding_characters(self, msh: Segment, version: str) -> None:
        """MSH-2 holds four characters, and a fifth (the truncation character) from v2.7 on."""
        chars = msh.raw[4:].split(msh.raw[3:4] or "|")[0]
        if len(chars) <= 4 or any(i.defect == "encoding" for i in self.issues):
            return  # fine, or already reported as broken
        if len(chars) > 5:
            self.add("encoding", f"MSH-2 {chars!r} has {len(chars)} characters; HL7 v2 defines at most five",
                     "MSH-2", msh)
        elif version_key(version) and version_key(version) < (2, 7):
            self.add("encoding", f"MSH-2 {chars!r} has a fifth character (the truncation character), which HL7 "
                     f"defines only from v2.7; v{version} has four", "MSH-2", msh, "warning")

    def _unchecked_version(self, msh: Segment, version: str) -> None:
        """A version this validator has no definitions for: say so, and report what it can still see."""
        for n in MSH_ALWAYS_REQUIRED:
            if not any(_present(rep) for rep in msh.repetitions(n)):
                self.add("required", f"MSH-{n} is required (in every HL7 v2 version) but empty", f"MSH-{n}", msh)
        known = table("0104")
        if version and known is not None and version not in known.codes:
            self.add("version", f"MSH-12 {version!r} is not an HL7 v2 version (HL7 table 0104: "
                     f"{', '.join(known.codes)})", "MSH-12", msh)
        elif version:
            self.add("version", f"MSH-12 version {version!r} not checked: this validator knows "
                     f"{', '.join(standard.VERSIONS)}; structure, fields and tables not checked", "MSH-12",
                     msh, "information")

    def _z_allowed(self, seg: Segment) -> bool:
        return seg.name.startswith("Z") and (self.p is None or self.p.allows_z(seg.name))

    def _segments(self) -> None:
        if self.p is None:
            return
        reported = {i.where for i in self.issues if i.defect in ("missing-segment", "segment-order")}
        for spec in self.p.segments:
            found = self.m.all(spec.name)
            if spec.usage == "R" and not found and spec.name not in reported:
                self.add("missing-segment", f"segment {spec.name} is required by profile {self.p.id}", spec.name)
            if spec.usage == "X":
                for seg in found:
                    self.add("segment-not-allowed", f"segment {spec.name} is not supported by profile "
                             f"{self.p.id} (usage X)", seg.label, seg)
            if spec.max not in (None, -1) and len(found) > spec.max:
                seg = found[spec.max]
                self.add("segment-cardinality", f"segment {spec.name} occurs {len(found)} times; profile "
                         f"{self.p.id} allows at most {spec.max}", seg.label, seg)

    def _fields(self, seg: Segment, defs: tuple[Leaf, ...]) -> None:
        specs = self.p.fields.get(seg.name, {}) if self.p else {}
        top = max([len(defs), len(seg.fields), *(int(k.split(".")[0]) for k in specs)])
        for n in range(1, top + 1):
            leaf = defs[n - 1] if n <= len(defs) else None
            spec = specs.get(str(n))
            reps = seg.repetitions(n)
            where = f"{seg.label}-{n}"
            if leaf is None and spec is None:
                if defs and seg.name not in QUERY_SEGMENTS and any(_present(r) for r in reps):
                    self.add("extra-field", f"{where} is beyond the {len(defs)} fields v{self.version} defines "
                             f"for {seg.name}", where, seg, "warning")
                continue
            usage = self._usage(spec, leaf, seg)
            populated = [r for r in reps if _present(r)]
            by = f" by profile {self.p.id}" if spec is not None and spec.usage and self.p else ""
            if not populated:
                if usage == "R":
                    self.add("required", f"{where} is required{by} but empty", where, seg)
                continue
            if usage == "X":
                self.add("not-allowed", f"{where} must not be sent{by} (usage X) but has a value", where, seg)
                continue
            if leaf is not None and leaf.max == 0 and spec is None:
                # Withdrawn in this version (EVN-1 from v2.7): kept for backward compatibility, ignored by receivers.
                self.add("withdrawn", f"{where} is withdrawn in v{self.version} (kept only for backward "
                         "compatibility; receivers ignore it)", where, seg, "warning")
                continue
            if seg.name == "MSH" and n in (1, 2):  # the separators themselves: only a profile's fixed value applies
                if spec is not None and spec.fixed is not None and seg.value(n) != spec.fixed:
                    self.add("fixed-value", f"{where} is {seg.value(n)!r}; profile {self.p.id if self.p else ''} "
                             f"requires {spec.fixed!r}", where, seg)
                continue
            most = spec.max if spec is not None and spec.max is not None else leaf.max if leaf else -1
            if leaf is not None and leaf.datatype == "varies" and leaf.name != "OBX_5" and spec is None:
                most = -1  # how often a query parameter repeats is the query's to say
            if most != -1 and len(reps) > most:
                self.add("cardinality", f"{where} repeats {len(reps)} times; at most {most} allowed", where, seg)
            if spec is not None and spec.min is not None and len(populated) < spec.min:
                self.add("cardinality", f"{where} has {len(populated)} repetition(s); at least {spec.min} "
                         "required", where, seg)
            subs = {k: s for k, s in specs.items() if k.startswith(f"{n}.")}
            for r, rep in enumerate(reps, 1):
                if _present(rep):
                    self._rep(seg, rep, leaf, spec, subs, where + (f"[{r}]" if r > 1 else ""))

    def _usage(self, spec: FieldSpec | None, leaf: Leaf | None, seg: Segment) -> str:
        usage = spec.usage if spec is not None and spec.usage else ("R" if leaf and leaf.min > 0 else "O")
        if usage == "C" and spec is not None:
            hold = all(self._value_at(path, seg) in values for path, values in spec.condition.items())
            return "R" if hold else spec.otherwise
        return usage

    def _value_at(self, path: str, here: Segment) -> str:
        name, _, rest = path.partition("-")
        seg = here if here.name == name else self.m.first(name)
        if seg is None:
            return ""
        parts = [int(x) for x in rest.split(".")]
        return seg.value(parts[0], 1, parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)

    def _rep(self, seg: Segment, rep: Rep, leaf: Leaf | None, spec: FieldSpec | None,
             subs: dict[str, FieldSpec], where: str) -> None:
        if leaf is not None and leaf.name == "OBX_2" and not leaf.table:
            leaf = Leaf(leaf.name, leaf.datatype, leaf.min, leaf.max, "HL70125", leaf.components)  # v2.3 data lacks it
        dtype = (spec.type if spec is not None and spec.type else None) or (leaf.datatype if leaf else "ST")
        if dtype == "varies" and leaf is not None:
            if seg.name != "OBX" or leaf.name != "OBX_5":
                return  # typed by the query (QPD-3...) or the segment's own rules: not a fixed datatype
            dtype, leaf = self._obx_value_type(seg, leaf)
        if spec is not None and (spec.values or spec.table):
            leaf = Leaf(leaf.name, leaf.datatype, leaf.min, leaf.max, None, leaf.components) if leaf else None
        if spec is not None:
            self._constrain(seg, "^".join("&".join(c) for c in rep), rep[0][0], spec, where)
        if leaf is not None and leaf.components and dtype == leaf.datatype:
            for c, comp in enumerate(rep, 1):
                cleaf = leaf.components[c - 1] if c <= len(leaf.components) else None
                if cleaf is None:
                    if any(comp):
                        self.add("extra-field", f"{where}.{c} is beyond the {len(leaf.components)} components of "
                                 f"{leaf.datatype}", f"{where}.{c}", seg, "warning")
                    continue
                table = cleaf.table or (leaf.table if c == 1 and _own_table(leaf, rep) else None)
                kind = "DTM" if dtype == "TS" and c == 1 else cleaf.datatype
                at = f"{where}.{c}" if len(rep) > 1 else where
                if cleaf.components:
                    for s, sub in enumerate(comp, 1):
                        if s <= len(cleaf.components):
                            sl = cleaf.components[s - 1]
                            self._primitive(seg, sub, sl.datatype, sl.table, f"{where}.{c}.{s}")
                else:
                    if len(comp) > 1 and any(comp[1:]):
                        self._no_parts(seg, f"{where}.{c}", cleaf.datatype, "subcomponents", len(comp))
                    self._primitive(seg, comp[0] if len(comp) == 1 else "&".join(comp), kind, table, at)
        else:
            if len(rep) > 1 and leaf is not None and any(any(c) for c in rep[1:]):
                self._no_parts(seg, where, dtype, "components", len(rep))
            elif leaf is not None and len(rep[0]) > 1 and any(rep[0][1:]):
                self._no_parts(seg, where, dtype, "subcomponents", len(rep[0]))
            self._primitive(seg, rep[0][0] if len(rep) == 1 else "", "DTM" if dtype == "TS" else dtype,
                            leaf.table if leaf else None, where)
        for key, cspec in subs.items():
            parts = [int(x) for x in key.split(".")]
            comp = rep[parts[1] - 1] if parts[1] <= len(rep) else [""]
            value = comp[parts[2] - 1] if len(parts) > 2 and parts[2] <= len(comp) else \
                ("" if len(parts) > 2 else "&".join(comp))
            at = f"{where}." + ".".join(str(x) for x in parts[1:])
            usage = self._usage(cspec, None, seg)
            by = f" by profile {self.p.id}" if self.p else ""
            if not value:
                if usage == "R":
                    self.add("required", f"{at} is required{by} but empty", at, seg)
            elif usage == "X":
                self.add("not-allowed", f"{at} must not be sent{by} (usage X) but has a value", at, seg)
            else:
                self._constrain(seg, value, value, cspec, at)

    def _no_parts(self, seg: Segment, where: str, dtype: str, parts: str, sent: int) -> None:
        """A primitive value split by a separator: the data needed escaping, or the sender's layout is wrong."""
        self.add("datatype", f"{where} has {parts}, but its datatype {dtype} has none ({sent} {parts} sent; "
                 "a separator in data is escaped as \\S\\ or \\T\\)", where, seg)

    def _obx_value_type(self, seg: Segment, leaf: Leaf) -> tuple[str, Leaf | None]:
        """OBX-5's datatype is the one OBX-2 names (itself checked against table 0125)."""
        named = seg.value(2)
        std = standard.load(self.version)
        if named in std.datatypes:
            return named, Leaf(leaf.name, named, leaf.min, leaf.max, None, std.datatypes[named])
        return (named if named in PRIMITIVES else "ST"), None

    def _constrain(self, seg: Segment, whole: str, value: str, spec: FieldSpec, where: str) -> None:
        """The profile's narrowing of one value: length, fixed value, value set or table, format, pattern."""
        if spec.length is not None and len(whole) > spec.length:
            self.add("length", f"{where} is {len(whole)} characters long; the profile allows {spec.length}",
                     where, seg)
        if not value:
            return
        if spec.fixed is not None and value != spec.fixed:
            self.add("fixed-value", f"{where} is {value!r}; the profile requires {spec.fixed!r}", where, seg)
        bound = table(spec.table) if spec.table and not spec.values else None
        if spec.values and value not in spec.values:
            listed = ", ".join(sorted(spec.values)[:12]) + (", ..." if len(spec.values) > 12 else "")
            self.add("code", f"{where} {value!r} is not in the profile's value set ({listed})", where, seg)
        elif bound is not None and not bound.allows(value, self.version):
            # A profile that binds a table makes it binding, whatever kind of table it is.
            self.add("code", f"{where} {value!r} is not in HL7 table {bound.number} as of v{self.version} "
                     f"({bound.listed(self.version)})", where, seg)
        if spec.format is not None and not FORMATS[spec.format](value):
            self.add("datatype", f"{where} {value!r} is not a valid {spec.format}", where, seg)
        if spec.pattern is not None and not spec.pattern.fullmatch(value):
            self.add("datatype", f"{where} {value!r} does not match {spec.pattern.pattern}", where, seg)

    def _primitive(self, seg: Segment, value: str, dtype: str, table: str | None, where: str) -> None:
        if not value or value == '""':
            return
        check = PRIMITIVES.get(dtype)
        problem = check(value) if check else None
        if problem:
            self.add("datatype", f"{where}: {problem} ({dtype})", where, seg)
        elif dtype == "ID":
            self._coded(seg, value, table, where)

    def _coded(self, seg: Segment, value: str, name: str | None, where: str) -> None:
        """An ID value against its table, as strictly as HL7 defines the table (see tables.py)."""
        verdict = judge(name, value, self.version)
        if verdict is not None:
            self.add("code", f"{where} {value!r} {verdict[1]}", where, seg, verdict[0])

    def _statements(self, p: Profile) -> None:
        for st in p.statements:
            name, number = st.field.split("-")
            for seg in self.m.all(name):
                where = f"{seg.label}-{number}"
                reps = seg.repetitions(int(number))
                chosen = [(r, rep) for r, rep in enumerate(reps, 1)
                          if _present(rep) and all(_at(rep, k) == v for k, v in st.any_repetition.items())]
                if not chosen:
                    if st.required:
                        self.add("statement", f"{st.id}: {st.description} (no repetition of {where} has it)",
                                 where, seg)
                    continue
                for r, rep in chosen:
                    here = where + (f"[{r}]" if r > 1 else "")
                    for k, rx in st.pattern.items():
                        if not rx.fullmatch(_at(rep, k)):
                            self.add("statement", f"{st.id}: {here}.{k} {_at(rep, k)!r} does not match "
                                     f"{rx.pattern} ({st.description})", f"{here}.{k}", seg)
                    for k, fmt in st.check.items():
                        if not FORMATS[fmt](_at(rep, k)):
                            self.add("statement", f"{st.id}: {here}.{k} {_at(rep, k)!r} is not a valid {fmt} "
                                     f"({st.description})", f"{here}.{k}", seg)


def _own_table(leaf: Leaf, rep: Rep) -> bool:
    """Whether a coded field's identifier is drawn from the field's table: for CE/CWE/CNE only when its
    coding system (component 3) is empty or an HL7 table; a LOINC or local code is not the table's."""
    if leaf.datatype not in ("CE", "CWE", "CNE", "CF"):
        return True
    system = rep[2][0] if len(rep) > 2 and rep[2] else ""
    return system == "" or system.upper().startswith("HL7")


def _at(rep: Rep, key: str) -> str:
    parts = [int(x) for x in key.split(".")]
    comp = rep[parts[0] - 1] if parts[0] <= len(rep) else []
    index = parts[1] if len(parts) > 1 else 1
    return comp[index - 1] if index <= len(comp) else ""
