"""The sandbox's FHIR R4 server: ``create_app(faults)`` is a Starlette app serving ``/fhir``."""

from conformance.sandbox.fhir.app import create_app

__all__ = ["create_app"]
