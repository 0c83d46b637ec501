"""The seed apps' records in and out (`/apps/{app}/records`, `import --from`, `export --to`).

The adapters (mappers.apps) check and map; this package does the I/O around them: `ingest`
stores a request's rows as one FHIR transaction, `gather` collects a patient's resources,
`export` turns them back into rows, `sqlite` reads an app's SQLite database file.
"""
