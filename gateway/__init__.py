"""FHIR R4 interoperability gateway: domain records inside, standard FHIR R4 outside."""
