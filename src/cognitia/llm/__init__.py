"""The model layer: providers behind the ChatModel/Embedder ports, the catalogue and its
lanes, routing with fallback and circuit breakers, usage and cost. The OpenAI-compatible
API that serves it is a client of this layer (cognitia.openai_api)."""
