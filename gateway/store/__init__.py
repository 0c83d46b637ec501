"""The one boundary in front of MongoDB: services read and write only through these stores.

collection.py  the few collection operations used, as Protocols (Motor and the embedded store)
indexes.py     every collection and its indexes: the one table
documents.py   Beanie documents declaring the domain collections and `history`
repository.py  ResourceStore: one resource type's current versions; queries, writes, paging
history.py     archived versions           versions.py  the served form of a version
claims.py      conditional-create claims   unit.py      units of work (session or undo log)
checkpoints.py where a reindex pass got to, per type
export_jobs.py $export jobs: state, owner, lease, manifest, for any worker
decimals.py    decimals as MongoDB stores them (Decimal128)
storage.py     the opened database: the stores of every type
"""
