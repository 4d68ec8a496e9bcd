"""The sandbox as a target: what a target file would say about every part of the built-in sandbox.

One function for ``conformance demo`` (loopback), the in-memory test runs and the benchmarks, so that a
setting added to the sandbox reaches all three at once.
"""

from __future__ import annotations

from conformance import __version__
from conformance.sandbox.api import configure_target
from conformance.sandbox.bedside_settings import sandbox_bedside_settings
from conformance.sandbox.hl7v2 import sandbox_hl7v2_settings
from conformance.sandbox.realtime.settings import sandbox_realtime_settings
from conformance.targets import Organisation, SystemInfo, Target, from_url

# The organisation and system a sandbox run is recorded under (a synthetic ODS code).
ORGANISATION = Organisation(ods_code="X26", name="Demo Sandbox Trust", kind="provider")
IN_MEMORY_MLLP = "memory:0"


def sandbox_target(fhir_base: str, *, mllp: str | None = IN_MEMORY_MLLP, api_root: str | None = None,
                   sandbox: bool = True) -> Target:
    """A target naming the sandbox served at ``fhir_base`` (``.../fhir``).

    ``mllp``: the MLLP sandbox's ``host:port`` (the sender suite is then triggered over HTTP), the
    in-memory twin (the runner's links carry the peer), or None for no HL7 v2 side at all.
    ``api_root``: where its booking API and OAuth2 server are (default: ``fhir_base`` without ``/fhir``).
    """
    root = fhir_base.removesuffix("/fhir")
    target = from_url(fhir_base, sandbox=sandbox)
    target.organisation = ORGANISATION
    target.system = SystemInfo(vendor="conformance", product="sandbox", version=__version__)
    if mllp is not None:
        target.endpoints["mllp"] = mllp
        target.hl7v2 = sandbox_hl7v2_settings()
        if mllp != IN_MEMORY_MLLP:
            target.hl7v2.trigger = root + "/sandbox/hl7v2/send"
    configure_target(target, api_root or root)  # its booking API and OAuth2 server
    target.realtime = sandbox_realtime_settings(fhir_base)
    target.bedside = sandbox_bedside_settings()  # the sandbox is an eMAR (gs1-bedside's match checks run)
    return target
