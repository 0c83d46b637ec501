"""Bulk import behind `fhir-gateway import`: reading files, importing their resources."""
