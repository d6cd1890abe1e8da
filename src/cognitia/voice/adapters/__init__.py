"""Adapters of the voice ports: OpenAI-compatible HTTP clients (hosted servers and the
local voice runner) and espeak-ng."""
