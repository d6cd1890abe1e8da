"""The voice runner: piper (GPL-3.0-or-later) and other native speech code in a process of
their own, spoken to over HTTP in OpenAI's audio shapes.

`server`, `piper` and `encode` run inside the runner and are the only modules that import
piper, onnxruntime or PyAV; the API process reaches them through the OpenAI-compatible
adapter (voice/adapters/openai_speech.py) over the runner's Unix socket.
"""
