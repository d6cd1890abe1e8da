"""VectorIndex adapters: sqlite_vec, pgvector, and exact (SQLite without sqlite-vec)."""
