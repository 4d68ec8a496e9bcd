"""The Scrubber removes a credential in every encoding a server may echo it in (issue 18)."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.targets import MIN_SECRET
from conformance.transports.http import Scrubber

secrets_ = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=MIN_SECRET, max_size=64)
padding = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=7)


@settings(max_examples=300, deadline=None)
@given(secrets_, padding, padding)
def test_base64_at_any_alignment_is_scrubbed(secret: str, before: str, after: str) -> None:
    blob = base64.b64encode(f"{before}{secret}{after}".encode()).decode()
    kept = Scrubber([secret]).text(f'{{"echo": "{blob}"}}')
    # The secret's bytes can no longer be recovered from what is kept, whatever alignment one decodes at.
    for run in re.findall(r"[A-Za-z0-9+/]+", kept):
        for offset in range(4):
            part = run[offset:]
            part = part[: len(part) // 4 * 4]
            assert secret.encode() not in base64.b64decode(part), (secret, kept)


@settings(max_examples=200, deadline=None)
@given(secrets_, secrets_)
def test_basic_credentials_are_scrubbed(user: str, password: str) -> None:
    header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    kept = Scrubber([user, password]).text(f"echoed: {header}")
    assert header.split()[1] not in kept


@settings(max_examples=200, deadline=None)
@given(secrets_)
def test_escaped_forms_are_scrubbed(secret: str) -> None:
    forms = [secret, quote(secret, safe=""), html.escape(secret), json.dumps(secret)[1:-1],
             json.dumps(secret)[1:-1].replace("/", "\\/"), "".join(f"\\u{ord(c):04x}" for c in secret)]
    kept = Scrubber([secret]).text(" | ".join(forms))
    for form in forms:
        assert form not in kept, form


def test_innocent_text_is_kept() -> None:
    assert Scrubber(["s3cr3t-token"]).text("nothing to hide here") == "nothing to hide here"


def test_a_password_in_the_target_url_is_refused_without_echoing_it() -> None:
    import pytest

    from conformance.targets import TargetError, from_url

    with pytest.raises(TargetError) as caught:
        from_url("http://alice:hunter2-secret@127.0.0.1:8080/fhir")
    assert "hunter2-secret" not in str(caught.value) and "[auth]" in str(caught.value)
    assert "127.0.0.1:8080/fhir" in str(caught.value)
