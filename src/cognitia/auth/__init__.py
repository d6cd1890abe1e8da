"""Accounts, tokens, API keys and roles."""
