"""Policy checks (rejecting a broken or unknown message, ERR on a reject) are optional, unless a profile
the target claims states the rule: then they are required and the verdict quotes the profile's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.hl7v2 import ProfileError, load_profile
from conformance.model import Status
from conformance.targets import Target
from tests.integration.conftest import run_against_sandbox

RULE = "A message missing a required segment is answered AE or AR, never AA (local interface agreement 4.2)"
POLICY = ("hl7v2-receiver.reject.broken", "hl7v2-receiver.reject.unsupported-type",
          "hl7v2-receiver.reject.err-segment")


def profile(tmp_path: Path, receiver: str) -> Path:
    path = tmp_path / "local-adt-a01.toml"
    path.write_text(f'id = "local-adt-a01"\nmessage = "ADT^A01"\n\n[receiver]\n{receiver}\n')
    return path


async def test_policy_checks_are_optional_unless_a_claimed_profile_states_them(tmp_path: Path) -> None:
    plain = await run_against_sandbox(faults=["hl7v2-ack-accepts-broken"], select=list(POLICY))
    status = {r.id: r for r in plain.results}
    assert status[POLICY[0]].status is Status.FAIL and not status[POLICY[0]].required
    assert not any(status[c].required for c in POLICY)

    path = profile(tmp_path, f'rejects-missing-segment = "{RULE}"')

    def claim(target: Target) -> None:
        target.hl7v2.profiles = [*target.hl7v2.profiles, str(path)]

    claimed = await run_against_sandbox(faults=["hl7v2-ack-accepts-broken"], select=list(POLICY), configure=claim)
    status = {r.id: r for r in claimed.results}
    broken = status[POLICY[0]]
    assert broken.status is Status.FAIL and broken.required
    assert any(RULE in req and "local-adt-a01" in req for req in broken.requirements)
    # Only the rule the profile states becomes required.
    assert not status[POLICY[1]].required


def test_a_profile_with_an_unknown_receiver_rule_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"receiver\.rejects-everything: unknown rule"):
        load_profile(profile(tmp_path, 'rejects-everything = "x"'))
    assert load_profile(profile(tmp_path, f'err-segment = "{RULE}"')).receiver == {"err-segment": RULE}


async def test_persistent_connections_are_required_only_when_claimed() -> None:
    check = "hl7v2-receiver.connection.several-messages"
    plain = await run_against_sandbox(faults=["hl7v2-one-message-per-connection"], select=[check])
    (result,) = [r for r in plain.results if r.id == check]
    assert result.status is Status.FAIL and not result.required

    def claim(target: Target) -> None:
        target.hl7v2.persistent_connections = True

    claimed = await run_against_sandbox(faults=["hl7v2-one-message-per-connection"], select=[check],
                                        configure=claim)
    (result,) = [r for r in claimed.results if r.id == check]
    assert result.status is Status.FAIL and result.required
    assert any("persistent_connections = true" in req for req in result.requirements)
