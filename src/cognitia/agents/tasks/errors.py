"""Errors of tasks.

NotFound (404)
└── TaskNotFound (task_not_found): no such task, or another person's
Conflict (409)
└── TaskFinished (task_finished): the task has finished (a cancel came too late)
Unprocessable (422)
└── TaskAgentsInvalid (task_agents_invalid): a role twice, or the reserved role "primary"

A task that fails while it runs is not an HTTP error: its `error_code` says why
(FAILURE_CODES below), its `error` says it in words.
"""

from __future__ import annotations

from cognitia.errors import Conflict, NotFound, Unprocessable

# What a failed task's error_code may be.
PLAN_INVALID = "plan_invalid"  # the planner answered twice without a valid plan
PLANNER_UNAVAILABLE = "planner_unavailable"  # no model could plan
STEP_FAILED = "step_failed"  # a step failed on every attempt
SUMMARY_UNAVAILABLE = "summary_unavailable"  # no model could write the result
FAILURE_CODES = (PLAN_INVALID, PLANNER_UNAVAILABLE, STEP_FAILED, SUMMARY_UNAVAILABLE)


class TaskNotFound(NotFound):
    code = "task_not_found"
    default_detail = "No such task."


class TaskFinished(Conflict):
    code = "task_finished"
    default_detail = "This task has finished; only a queued or running task can be cancelled."


class TaskAgentsInvalid(Unprocessable):
    code = "task_agents_invalid"
    default_detail = "Each agent needs its own role, and 'primary' is the main character's."


class StepError(Exception):
    """An attempt at a step failed (the model failed, or broke off); the job tries again."""
