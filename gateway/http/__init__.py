"""The FastAPI edge: FHIR REST over HTTP (https://hl7.org/fhir/R4/http.html)."""
