"""The task agents' prompts: versioned files in prompts/ (planner.v1.md...).

A prompt is changed by adding its next version and pointing CURRENT at it; the old file
stays, so a task's recorded `prompt_versions` still names the words it was run with.
Placeholders are string.Template's ($goal): prompts hold JSON braces freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

PLANNER = "planner"
EXECUTOR = "executor"
CRITIC = "critic"
SUMMARIZER = "summarizer"

CURRENT = {
    PLANNER: "planner.v1",
    EXECUTOR: "executor.v1",
    CRITIC: "critic.v1",
    SUMMARIZER: "summarizer.v1",
}


@dataclass(frozen=True)
class Prompt:
    version: str  # the file's name without .md
    template: Template

    def render(self, **values: object) -> str:
        return self.template.safe_substitute({k: str(v) for k, v in values.items()}).strip()


@cache
def load(version: str) -> Prompt:
    """A prompt by version (planner.v1); a missing file is a bug, raised at once."""
    text = resources.files(__package__).joinpath("prompts", f"{version}.md").read_text("utf-8")
    return Prompt(version, Template(text))


def current(role: str) -> Prompt:
    return load(CURRENT[role])


def of_task(versions: dict[str, str], role: str) -> Prompt:
    """The version a task recorded when it was created (the current one if it has none)."""
    return load(versions.get(role, CURRENT[role]))
