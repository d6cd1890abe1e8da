"""Live voice calls over a WebSocket: /api/v2/chats/{chat_id}/call (docs/voice.md#live-calls)."""
