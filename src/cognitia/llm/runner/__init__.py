"""The model runner: the local chat models (llama.cpp) and the local embedder in a process
of their own, spoken to over HTTP in OpenAI's shapes.

Native code that can crash (a CPU instruction the OS does not allow, an out-of-memory in
llama.cpp) or hang then takes down only the runner: the API process sees a broken
stream, ends that reply with an error and keeps serving, while the supervisor restarts
the runner. `server` and `engines` run inside the runner and are the only modules that
import llama.cpp; `supervisor` and `clients` are what an API or worker process uses.
"""
