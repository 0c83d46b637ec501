"""FHIR R4 JSON <-> domain records: one mapper per resource type, no I/O."""
