"""The model layer: providers behind the ChatModel/Embedder ports, the catalogue and its
lanes, routing with fallback and circuit breakers, usage and cost, and the
OpenAI-compatible API."""
