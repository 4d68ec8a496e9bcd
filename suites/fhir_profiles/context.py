"""The fhir-profiles suite's context: the FHIR client (fhir-rest's), the definitions, and what is claimed.

Definitions: base R4 (built in), the project's own profiles (profiles/fhir/, which the sandbox claims),
any package or folder the target file names in ``claims.packages``, and the FHIR package cache for a
claimed profile none of those define (conformance/fhirval/claims.py). Claims: the target file's
``claims.profiles`` and the CapabilityStatement's ``supportedProfile``, per resource type.
"""

from __future__ import annotations

from pathlib import Path

from conformance.checks import ProductKey, SuiteRuntime, suite
from conformance.fhir import capability
from conformance.fhir.capability import Capability, items
from conformance.fhir.context import FhirContext
from conformance.fhirval.claims import cached_packages_defining
from suites.fhir_profiles import judge

SUITE_ID = "fhir-profiles"
METADATA: ProductKey[Capability] = ProductKey("fhir-profiles.capability.metadata")
OWN_PROFILES = Path(__file__).resolve().parents[2] / "profiles" / "fhir"


class ProfilesContext(FhirContext):
    metadata_check = METADATA
    _source: judge.Source | None = None
    _cached: tuple[Path, ...] = ()

    def source(self) -> judge.Source:
        """Loaded on first use (the first check that validates), once per run (again if the package cache
        turned out to hold a claimed profile's package)."""
        if self._source is None:
            packages = [Path(p) for p in self.target.packages]
            self._source = judge.definitions([OWN_PROFILES, *self._cached, *packages])
        return self._source

    def from_cache(self, urls: list[str]) -> None:
        """Add the cached packages defining any of ``urls`` (those the loaded definitions lack)."""
        source = self.source()
        found = cached_packages_defining([u for u in urls if source.structure(u) is None])
        more = tuple(p for p in dict.fromkeys(found.values()) if p not in self._cached)
        if more:
            self._cached, self._source = (*self._cached, *more), None

    def claimed(self, cap: Capability) -> dict[str, list[str]]:
        """Resource type -> canonical URLs of the profiles claimed for it (target file, then server)."""
        out: dict[str, list[str]] = {}
        declared = [u for e in cap.resources() for u in items(e, "supportedProfile") if isinstance(u, str)]
        self.from_cache([*self.target.profiles, *declared])
        source = self.source()
        for url in self.target.profiles:
            definition = source.structure(url)
            kind = definition.get("type") if definition else None
            if isinstance(kind, str):
                out.setdefault(kind, []).append(url)
            else:
                out.setdefault("?", []).append(url)  # unknown canonical: reported by the claimed check
        for entry in cap.resources():
            if isinstance(entry.get("type"), str):
                for url in items(entry, "supportedProfile"):
                    if isinstance(url, str) and url not in out.get(entry["type"], []):
                        out.setdefault(entry["type"], []).append(url)
        return out


async def make_context(runtime: SuiteRuntime) -> ProfilesContext:
    return ProfilesContext.for_runtime(runtime)


SUITE = suite(
    id=SUITE_ID,
    title="FHIR profiles: base R4, claimed profiles, must-support",
    context=make_context,
    description="Resources the target returns are valid FHIR R4 and conform to the profiles it claims; every "
    "must-support element of a claimed profile appears in what it returns.",
)

capability.metadata_check(METADATA)(capability.metadata)


