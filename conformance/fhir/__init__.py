"""FHIR R4: REST client, search parameters, and (later) the validator."""
