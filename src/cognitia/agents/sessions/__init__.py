"""Coaching sessions: turn-based sessions with a coach character that end with notes."""
