"""ChatModel adapters, one module per wire protocol: OpenAI-compatible servers (OpenAI,
vLLM, llama.cpp server, Ollama, Groq, OpenRouter) and Anthropic's Messages API."""
