"""HL7 v2: message model, the standard's structures (from hl7apy), message profiles, and a validator."""

from conformance.hl7v2.message import (
    Encoding,
    Message,
    ParseIssue,
    Segment,
    encode,
    escape,
    parse,
    split_messages,
    unescape,
)
from conformance.hl7v2.outcome import Hl7Result, Issue
from conformance.hl7v2.profile import Profile, ProfileError, load_profile
from conformance.hl7v2.validate import validate

__all__ = ["Encoding", "Hl7Result", "Issue", "Message", "ParseIssue", "Profile", "ProfileError", "Segment",
           "encode", "escape", "load_profile", "parse", "split_messages", "unescape", "validate"]
