"""Mailer adapters."""
