"""A target's ``[hl7v2]`` section: how the HL7 v2 suites talk to it (read by targets.py, declared here)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from conformance.sections import Section, accepted_by, flag, http_url, positive, strings, text, whole
from conformance.transports.settings import mllp_address

Str = Annotated[str, text(strip=False)]
Types = Annotated[list[str], strings("must be a list of strings", non_empty=True)]
Seconds = Annotated[float, positive("must be a number of seconds greater than 0")]
Switch = Annotated[bool, flag()]


class Hl7v2Settings(Section):
    """How the HL7 v2 suites talk to the target (``[hl7v2]`` in a target file)."""

    application: Str = "SUT"  # the target's application and facility names (our MSH-5/6)
    facility: Str = "SUT"
    receives: Types = Field(default_factory=lambda: ["ADT^A01"])  # message types it accepts
    sends: Types = Field(default_factory=list)  # message types it sends (hl7v2-sender)
    profiles: Types = Field(default_factory=list)  # message profile ids or paths it claims
    listen: Str = "127.0.0.1:0"  # where the harness listens for what the target sends
    trigger: Str = ""  # URL POSTed {"host", "port"} to ask the target to send now (optional)
    ack_within: Seconds = 5.0  # seconds an ACK may take
    wait: Seconds = 15.0  # seconds the sender suite waits for messages
    version: Str = "2.5.1"  # the HL7 version of the messages we send
    # A target not marked sandbox may still take test messages: then the receiver suite sends only
    # messages with MSH-11 = T (processing id Test), and the MLLP transport refuses any other.
    allow_test_messages: Switch = False
    # The target's receiver keeps MLLP connections open for further messages (MLLP also allows one
    # message per connection): claiming it makes hl7v2-receiver.connection.several-messages required.
    persistent_connections: Switch = False
    # The largest MLLP frame the harness reads (its memory bound); a larger one is not judged, and the
    # verdict names this setting.
    max_message_bytes: Annotated[int, whole("must be a whole number of bytes from 1000 to 1000000000",
                                            1_000, 1_000_000_000)] = 1_000_000

    @field_validator("receives", "sends")
    @classmethod
    def _message_types(cls, value: list[str]) -> list[str]:
        for kind in value:
            if not re.fullmatch(r"[A-Z0-9]{3}\^[A-Z0-9]{3}", kind):
                raise ValueError(f"{kind!r} is not a message type such as ADT^A01")
        return value

    _address = field_validator("listen")(accepted_by(mllp_address))

    _url = field_validator("trigger")(http_url)
