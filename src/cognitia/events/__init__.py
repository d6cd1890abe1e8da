"""Live events for chats: who sees new messages and tokens as they happen."""
