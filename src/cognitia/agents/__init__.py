"""Agents: tools, the sandbox, safe fetch, tasks and coaching sessions."""
