"""Knowledge: documents a character's owner (or a user, in their data bank) gives, made searchable.

`formats` (what a document is, and whether to accept it), `extract` (its text as blocks
under their headings), `chunking` (blocks into token-bounded chunks), `ingestion` (the
background job that indexes them through the retrieval domain), and the API in
router/service/repository. See docs/knowledge.md.
"""
