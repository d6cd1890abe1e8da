"""The jobs a task is run by, and what each carries (handlers: agents/tasks/jobs.py)."""

from __future__ import annotations

from cognitia.jobs.registry import Payload

PLAN = "tasks.plan"
STEP = "tasks.step"
SUMMARIZE = "tasks.summarize"
# Tries of one step: its job's max_tries, and the attempts a step row may count (a try
# whose worker died counts too) before the step, and its task, fail.
STEP_ATTEMPTS = 3


class TaskJob(Payload):
    task_id: str


class StepJob(Payload):
    task_id: str
    key: str
