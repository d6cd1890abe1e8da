"""Knowledge: documents a character's owner (or a user) gives it, made searchable.

Building blocks so far, all pure or CPU-bound and free of the database:
`formats` (what a document is, and whether to accept it), `extract` (its text as
blocks under their headings) and `chunking` (blocks into token-bounded chunks).
Ingestion jobs, indexes and the API are built on them next; see docs/knowledge.md.
"""
