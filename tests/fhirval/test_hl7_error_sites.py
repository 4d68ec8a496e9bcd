"""scripts/hl7_error_sites.py: our error sites graded by the severity HL7 gives the rules they cite (issue 21).
Synthetic Java and Python only; the mirror is not needed."""

from __future__ import annotations

from pathlib import Path

from tests.fhirval.scripts import load_script

sites_script = load_script("scripts/hl7_error_sites.py")

KINDS = {"A_RULE": {"rule"}, "B_WARN": {"warning"}, "C_BOTH": {"hint", "rule"}}


def test_a_site_citing_an_id_hl7_raises_as_an_error_is_graded() -> None:
    assert sites_script.grade({"A_RULE", "B_WARN"}, KINDS) == "graded"
    assert sites_script.grade({"C_BOTH"}, KINDS) == "graded"


def test_a_site_citing_only_ids_hl7_grades_lower_is_suspect() -> None:
    assert sites_script.grade({"B_WARN"}, KINDS) == "suspect"


def test_a_site_citing_nothing_hl7_raises_is_uncited() -> None:
    assert sites_script.grade({"NOT_RAISED"}, KINDS) == "uncited"
    assert sites_script.grade(set(), KINDS) == "uncited"


def test_sites_read_the_enclosing_function_then_the_module_docstring(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        '"""A module citing MOD_RULE."""\n\n'
        "def f(sink):\n"
        '    """Why: FUNC_WARN."""\n'
        '    sink.error("x-defect", "loc", "m")\n\n'
        "def g(sink):\n"
        '    sink.error("y-defect", "loc", "m")\n'
    )
    found = {defect: (own, module) for _, _, defect, own, module in sites_script.sites(tmp_path)}
    assert found['"x-defect"'] == ({"FUNC_WARN"}, {"MOD_RULE"})
    assert found['"y-defect"'] == (set(), {"MOD_RULE"})
