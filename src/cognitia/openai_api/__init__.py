"""The OpenAI-compatible API (/v1): a client of the model layer and of chats' prompt
assembly, kept outside both so that neither depends on this wire format."""
