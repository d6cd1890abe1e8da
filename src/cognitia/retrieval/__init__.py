"""Indexing and hybrid retrieval (vectors + keywords) over chunks of text, by scope."""
