"""Helpers for tests: servers, factories, waiting for conditions."""
