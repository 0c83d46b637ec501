"""Bulk import behind `fhir-gateway import`.

`readers` streams files as items; `identity` decides each resource's id from what it is and
`references` points its references at the ids their targets get; `preparation` validates, maps
and indexes (in worker processes, if any); `pipeline` (the Importer) runs those steps in
batches and writes; `report` counts outcomes and records failures for every target, the HTTP
one in gateway.cli.remote included.
"""
