"""Routers of the FHIR REST base."""
