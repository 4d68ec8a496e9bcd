"""FHIR R4 validation: definitions (base R4, packages, profiles) and a validator that reports every issue.

``source.py`` is the seam between the two halves: loaders produce a :class:`DefinitionSource`, the
validator consumes one. Neither half imports the other's internals.
"""

from conformance.fhirval import native

native.decide()  # before any compiled module is imported: compiled, or the sources when the build is stale or absent
