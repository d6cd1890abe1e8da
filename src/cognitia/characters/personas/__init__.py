"""User personas: who the user is in a chat ({{user}}): /api/v2/personas."""
