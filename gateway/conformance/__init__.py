"""Conformance over StructureDefinitions: snapshots generated from differentials, profile
validation. https://hl7.org/fhir/R4/profiling.html"""
