"""A hand-written set of GS1 inputs, labelled from the GS1 General Specifications, not by our generator.

Each broken input has one defect; the label is whether the whole input is valid.
"""

from __future__ import annotations

import pytest

from conformance.gs1 import validate

GS = "\x1d"
CASES = [
    ("(01)09506000134352", True), ("(01)9506000134352", False), ("(01)09506000134351", False),
    ("]d2010950600013435217261231", True), ("]d201095060001343521726123110ABC" + GS + "21XYZ", True),
    ("(00)095060001343528105", True), ("(00)095060001343528106", False),
    ("(414)9506000134369", True), ("(414)9506000134368", False),
    ("(8018)950110153000012345", True), ("(8018)950110153000012346", False),
    ("(01)09506000134352(17)260230", False), ("(01)09506000134352(17)240229", True),
    ("(01)09506000134352(17)250229", False), ("(01)09506000134352(17)261200", True),
    ("(01)09506000134352(11)261200", True),  # day 00 is allowed for every YYMMDD date AI
    ("(01)09506000134352(10)ABC def", False), ("(01)09506000134352(21)" + "A" * 21, False),
    ("(01)09506000134352(21)" + "A" * 20, True),
    ("(02)09506000134352", False), ("(02)09506000134352(37)10(00)095060001343528105", True),
    ("(01)09506000134352(02)09506000134352", False),
    ("(99)ANYTHING", True), ("(9)12", False),
    ("(01)09506000134352(7003)2612312359", True), ("(01)09506000134352(7003)2612312460", False),
    ("https://id.gs1.org/01/09506000134352/10/AB1/21/S1?17=261231", True),
    ("https://id.gs1.org/01/09506000134352/21/S1/10/AB1", False),
    ("https://example.com/01/09506000134352", True), ("https://example.com/gtin/09506000134352", False),
    ("https://id.gs1.org/01/09506000134353", False),
    ("(8003)09506000134352ABC", True), ("(8003)09506000134352", True), ("(8003)19506000134352", False),
    ("(01)09506000134352(3103)001250", True), ("(01)09506000134352(3103)00125", False),
    ("(00)095060001343528105(4321)1", True), ("(00)095060001343528105(4321)2", False),
    ("(4321)1", False),  # dangerous-goods flag requires an SSCC
    ("(01)09506000134352(422)826", True), ("(01)09506000134352(422)999", False),
    ("(8200)https://example.com", False),
]


@pytest.mark.parametrize(("text", "valid"), CASES)
def test_verdict(text: str, valid: bool) -> None:
    result = validate(text)
    assert result.valid is valid, [i.diagnostics for i in result.issues]
    if not valid:
        assert result.issues and all(i.diagnostics for i in result.issues)
