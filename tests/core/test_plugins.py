"""Suites from plugins: the loader takes the union of the built-in suites and the entry point group.

A fake installed distribution (a ``.dist-info`` folder with ``entry_points.txt`` on ``sys.path``) is
what importlib.metadata reads for a real ``pip install``: the test installs a plugin that way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks import REGISTRY
from conformance.runner.plan import ENTRY_POINT_GROUP, load_suites, suite_modules

PLUGIN = '''
from conformance.checks import BaseContext, SuiteRuntime, check, suite


async def _context(runtime: SuiteRuntime) -> BaseContext:
    return BaseContext(runtime.target)


suite(id="acme-plugin", title="A third-party suite", context=_context)


@check(id="acme-plugin.basics.hello", title="Says hello")
async def hello(ctx: BaseContext) -> None:
    return None
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Install ``acme_suite`` as a distribution registering one entry point; undo every trace after."""
    (tmp_path / "acme_suite.py").write_text(PLUGIN, encoding="utf-8")
    info = tmp_path / "acme_suite-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-suite\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nacme-plugin = acme_suite\n", encoding="utf-8")
    load_suites()  # the built-ins register in the real registry first; the plugin's suite only in a copy
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(REGISTRY, "suites", dict(REGISTRY.suites))
    yield "acme_suite"
    sys.modules.pop("acme_suite", None)


def test_builtin_suites_are_found_without_any_plugin() -> None:
    names = suite_modules()
    assert "suites.fhir_rest" in names and "suites.hl7v2_receiver" in names
    assert len(names) == len(set(names)), "a built-in registered as an entry point too is imported once"


def test_a_plugin_adds_its_suite_and_hides_no_builtin(plugin: str) -> None:
    names = suite_modules()
    assert names[-1] == plugin, "the plugin comes after the built-ins, so reports keep their order"
    assert "suites.fhir_rest" in names
    registry = load_suites()
    assert "acme-plugin" in registry.suites
    assert {"fhir-rest", "gs1", "hl7v2-receiver", "realtime"} <= set(registry.suites)
    assert "acme-plugin.basics.hello" in {c.id for c in registry.all_checks()}


def test_shipped_entry_points_name_real_suite_packages() -> None:
    """pyproject.toml registers every built-in under the group (seen once the package is installed)."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["entry-points"][ENTRY_POINT_GROUP]
    builtin = [n for n in suite_modules() if n.startswith("suites.")]
    assert sorted(declared.values()) == sorted(builtin)
    assert set(declared) == {n for n in load_suites().suites if n != "acme-plugin"}
