"""Chats: 1:1 and group chats, participants, messages, swipes, replies, live events."""
