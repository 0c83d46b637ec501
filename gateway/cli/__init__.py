"""The command line: `fhir-gateway serve` (and, later, import and export)."""
