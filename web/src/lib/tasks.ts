// Tasks (docs/tasks.md): a goal a character works on, planned into steps that run as jobs.
// The API's shapes and calls, and the pure helpers the pages share: the plan's layers by
// dependency depth, the totals per agent, what a status means.
import { api, type Schema } from "./api";

// -- shapes (schema.d.ts, generated from src/cognitia/agents/tasks/schemas.py) ------------

export type TaskStatus = Schema<"TaskStatus">;
export type StepStatus = Schema<"StepStatus">;
/** A character in a task and its role; the primary character's role is "primary". */
export type TaskAgent = Schema<"AgentIn">;
export type Usage = Schema<"Usage">;
/** Calls made for one character; `character_id` null: calls no character made. */
export type AgentUsage = Schema<"AgentUsage">;
export type TaskStep = Schema<"StepRead">;
/** `agents`: the primary character first, then the extra agents. */
export type Task = Schema<"TaskRead">;
/** `steps` in plan order. */
export type TaskDetail = Schema<"TaskDetail">;
/** `items` newest first. */
export type TaskPage = Schema<"TaskPage">;
export type TaskCreate = Schema<"TaskCreate">;

/** The role of the task's own character; an extra agent takes any other. */
export const PRIMARY_ROLE = "primary";
/** What a role may look like (the API's TaskCreate says so too), for the form's field. */
export const ROLE_PATTERN = "[a-z][a-z0-9_\\-]{0,31}";
/** The API's limits on a new task (TaskCreate). */
export const MAX_GOAL_CHARS = 4000;
export const MAX_EXTRA_AGENTS = 5;

// -- calls ---------------------------------------------------------------------------

export const TASKS = "/api/v2/tasks";
const one = (id: string) => `${TASKS}/${encodeURIComponent(id)}`;

export const tasks = {
  list: (offset = 0, limit = 30) => api.get<TaskPage>(TASKS, { limit, offset }),
  get: (id: string) => api.get<TaskDetail>(one(id)),
  create: (data: TaskCreate) => api.post<Task>(TASKS, data),
  cancel: (id: string) => api.post<TaskDetail>(`${one(id)}/cancel`),
};

// -- statuses ------------------------------------------------------------------------

const TASK_DONE: ReadonlySet<TaskStatus> = new Set(["succeeded", "failed", "cancelled"]);
const STEP_DONE: ReadonlySet<StepStatus> = new Set(["succeeded", "failed", "cancelled"]);

/** A finished task is not worked on any more: nothing to cancel. */
export const taskFinished = (task: Pick<Task, "status">) => TASK_DONE.has(task.status);
export const stepFinished = (step: Pick<TaskStep, "status">) => STEP_DONE.has(step.status);

/** Nothing more will change: the task has finished and no step is still running (a step
 * running when its task was cancelled finishes its model call, and is recorded after). */
export const taskSettled = (task: TaskDetail) => taskFinished(task) && task.steps.every(stepFinished);

const LABELS: Record<TaskStatus | StepStatus, string> = {
  queued: "Queued",
  planning: "Planning",
  pending: "Waiting",
  running: "Running",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

export const statusLabel = (status: TaskStatus | StepStatus) => LABELS[status] ?? status;

// -- the plan as a graph ---------------------------------------------------------------

/** Steps in layers by dependency depth: a step sits one layer after its deepest dependency,
 * so every step's dependencies are in earlier layers and the steps of a layer may run side by
 * side. A dependency the plan does not hold (never, for a validated plan) counts as none. */
export function layers(steps: TaskStep[]): TaskStep[][] {
  const byKey = new Map(steps.map((step) => [step.key, step]));
  const depth = new Map<string, number>();
  const depthOf = (step: TaskStep, seen: Set<string>): number => {
    const known = depth.get(step.key);
    if (known !== undefined) return known;
    seen.add(step.key); // a cycle (never, for a validated plan) must not recurse forever
    let deepest = -1;
    for (const key of step.depends_on) {
      const dependency = byKey.get(key);
      if (dependency && !seen.has(key)) deepest = Math.max(deepest, depthOf(dependency, seen));
    }
    depth.set(step.key, deepest + 1);
    return deepest + 1;
  };
  const result: TaskStep[][] = [];
  for (const step of steps) {
    const at = depthOf(step, new Set());
    (result[at] ??= []).push(step);
  }
  return result.filter(Boolean);
}

/** The titles of the steps a step waits for, in the plan's words. */
export function dependencyTitles(step: TaskStep, steps: TaskStep[]): string[] {
  return step.depends_on.map((key) => steps.find((s) => s.key === key)?.title ?? key);
}

// -- costs ---------------------------------------------------------------------------

export interface Spent {
  promptTokens: number;
  completionTokens: number;
  tokens: number;
  costUsd: number;
}

/** A Usage with every count (its fields have defaults in the API, so its schema says optional). */
export function spent(usage: Usage): Spent {
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  return { promptTokens, completionTokens, tokens: promptTokens + completionTokens, costUsd: usage.cost_usd ?? 0 };
}

/** The roles a character has in a task ("primary", "researcher"), joined for a table. */
export function rolesOf(task: Pick<Task, "agents">, characterId: string | null): string {
  return task.agents
    .filter((agent) => agent.character_id === characterId)
    .map((agent) => agent.role)
    .join(", ");
}

/** The prompt files a task used ("planner.v1"...), sorted; a bare version is named by its
 * prompt ("critic v2"). */
export function promptVersions(task: Pick<Task, "prompt_versions">): string[] {
  return Object.entries(task.prompt_versions ?? {})
    .map(([prompt, version]) => (version.startsWith(prompt) ? version : `${prompt} ${version}`))
    .sort();
}
