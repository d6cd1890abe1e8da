"""Payments through Stripe: Checkout, the customer portal and webhooks (docs/plans.md)."""
