"""The sandbox's real-time side: endpoint B (``/fhir-b``), its Subscriptions and notification sender."""
