"""Lorebooks (world info) and their entries: /api/v2/lorebooks."""
