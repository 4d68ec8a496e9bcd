"""HL7 v2: message model and parsing (validator and message profiles to follow)."""

from conformance.hl7v2.message import Encoding, Message, ParseIssue, Segment, encode, escape, parse, unescape

__all__ = ["Encoding", "Message", "ParseIssue", "Segment", "encode", "escape", "parse", "unescape"]
