"""Tasks: a goal turned into a plan of steps that characters carry out as jobs (docs/tasks.md)."""
