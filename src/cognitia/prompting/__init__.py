"""Instruct templates, macros, lorebook activation and context assembly: pure functions."""
