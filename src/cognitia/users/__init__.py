"""Profiles, account deletion, and administration of users."""
