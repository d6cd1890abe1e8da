"""Cognitia: a self-hostable platform for AI characters."""

__version__ = "0.1.0"
