"""Which checks run: suites by id, checks by glob pattern, plus everything a selected check needs."""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from dataclasses import dataclass
from importlib.metadata import entry_points

from conformance.checks import REGISTRY, CheckSpec, Registry
from conformance.errors import UsageError

ENTRY_POINT_GROUP = "conformance.suites"


class SelectionError(UsageError):
    """The user asked for a suite or pattern that names nothing: a usage error (exit 2)."""


def load_suites() -> Registry:
    """Import every suite module so its checks register.

    The union of the built-in ``suites`` package and every ``conformance.suites`` entry point (the
    built-ins are registered there too): a third-party plugin adds suites, it never hides the shipped
    ones. Built-ins come first, in package order, so reports keep their order.
    """
    for name in suite_modules():
        importlib.import_module(name)
    return REGISTRY


def suite_modules() -> list[str]:
    """Module names to import: the built-in suites, then entry-point modules not already among them."""
    package = importlib.import_module("suites")
    names = [f"suites.{m.name}" for m in pkgutil.iter_modules(package.__path__) if m.ispkg]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.module not in names:
            names.append(ep.module)
    return names


@dataclass
class Plan:
    checks: list[CheckSpec]

    @property
    def suites(self) -> list[str]:
        return sorted({c.suite for c in self.checks})


def build_plan(
    registry: Registry, suites: list[str] | None = None, patterns: list[str] | None = None
) -> Plan:
    unknown = [s for s in suites or [] if s not in registry.suites]
    if unknown:
        known = ", ".join(sorted(registry.suites))
        raise SelectionError(f"unknown suite {unknown[0]!r} (known: {known})")
    chosen = [registry.suites[s] for s in suites] if suites else list(registry.suites.values())
    candidates = [c for s in chosen for c in s.checks.values()]
    if patterns:
        selected = [c for c in candidates if any(_matches(c.id, p) for p in patterns)]
        if not selected:
            raise SelectionError(f"--select {' '.join(patterns)!s} matches no check")
    else:
        selected = candidates
    by_id = {c.id: c for c in registry.all_checks()}
    wanted: dict[str, CheckSpec] = {}

    def include(spec: CheckSpec) -> None:
        if spec.id in wanted:
            return
        for need in spec.needs:
            if need not in by_id:
                raise SelectionError(f"check {spec.id} needs unknown check {need}")
            include(by_id[need])
        wanted[spec.id] = spec

    for spec in selected:
        include(spec)
    # ``after`` orders only among checks already chosen; it never pulls a check into the plan.
    order = {c.id: i for i, c in enumerate(registry.all_checks())}
    return Plan(checks=sorted(wanted.values(), key=lambda c: order[c.id]))


def _matches(check_id: str, pattern: str) -> bool:
    """A glob (``fhir-rest.search.*``) or a dotted prefix (``fhir-rest.crud``)."""
    return fnmatch.fnmatchcase(check_id, pattern) or check_id.startswith(pattern.rstrip(".") + ".")
