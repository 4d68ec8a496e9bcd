"""The built-in sandbox: a small, correct reference FHIR R4 server with fault switches.

Each fault breaks one rule the way real systems do, so every shipped check is shown to be able to fail.
"""
