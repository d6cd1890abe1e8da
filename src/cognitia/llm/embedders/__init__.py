"""Embedder adapters: the bundled all-MiniLM-L6-v2 on sentence-transformers (local.py) and
any OpenAI-compatible /embeddings endpoint (openai_compat.py). Both return L2-normalised
vectors, batched."""
