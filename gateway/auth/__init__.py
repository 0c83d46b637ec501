"""SMART on FHIR authorization: tokens, scopes, audit (https://hl7.org/fhir/smart-app-launch/)."""
