"""The target that describes a running built-in sandbox (its FHIR server and its MLLP listener): what
``conformance demo`` runs against, and what the service's ``builtin:sandbox`` targets run against."""

from __future__ import annotations

from conformance import __version__
from conformance.targets import Organisation, SystemInfo, Target, from_url


def sandbox_target(base_url: str, mllp_address: str, faults: tuple[str, ...] = ()) -> Target:
    """Every suite's settings pointed at the sandbox served at ``base_url`` (its ``/fhir`` root) and MLLP."""
    from conformance.sandbox.api import configure_target
    from conformance.sandbox.bedside_settings import sandbox_bedside_settings
    from conformance.sandbox.hl7v2 import sandbox_hl7v2_settings
    from conformance.sandbox.realtime.settings import sandbox_realtime_settings

    target = from_url(base_url, sandbox=True)
    target.name = "conformance sandbox" + (f" (faults: {', '.join(faults)})" if faults else "")
    target.organisation = Organisation(ods_code="X26", name="Demo Sandbox Trust", kind="provider")
    target.system = SystemInfo(vendor="conformance", product="sandbox", version=__version__)
    target.endpoints["mllp"] = mllp_address
    target.hl7v2 = sandbox_hl7v2_settings()
    target.hl7v2.trigger = base_url.removesuffix("/fhir") + "/sandbox/hl7v2/send"
    configure_target(target, base_url.removesuffix("/fhir"))  # its booking API and OAuth2 server
    target.realtime = sandbox_realtime_settings(base_url)
    target.bedside = sandbox_bedside_settings()  # the sandbox is an eMAR (gs1-bedside match checks)
    return target
