"""FHIR search, independent of HTTP (https://hl7.org/fhir/R4/search.html)."""
