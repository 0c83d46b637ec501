"""Use cases named after FHIR interactions; they own ids, versions and meta."""
