"""Embedders: the bundled all-MiniLM-L6-v2 as a numpy forward pass (minilm.py, run inside
the model runner) and any OpenAI-compatible /embeddings endpoint (openai_compat.py).
Both give L2-normalised vectors, batched."""
