"""Outgoing e-mail behind the Mailer port."""
