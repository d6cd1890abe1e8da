"""Adapters for the voice ports: OpenAI-compatible HTTP servers (hosted, or the local voice
runner over its Unix socket) and espeak-ng as a subprocess."""
