// Tasks (docs/tasks.md): a goal a character works on, planned into steps that run as jobs.
// The API's shapes and calls, and the pure helpers the pages share: the plan's layers by
// dependency depth, the totals per agent, what a status means.
import { api } from "./api";

// -- shapes --------------------------------------------------------------------------

export type TaskStatus = "queued" | "planning" | "running" | "succeeded" | "failed" | "cancelled";
export type StepStatus = "pending" | "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface TaskAgent {
  character_id: string;
  role: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

/** Calls made for one character; `character_id` null: calls no character made. */
export interface AgentUsage extends Usage {
  character_id: string | null;
}

export interface TaskStep {
  key: string;
  title: string;
  instruction: string;
  role: string;
  character_id: string;
  tool: string | null;
  depends_on: string[];
  status: StepStatus;
  attempts: number;
  result: string | null;
  error: string | null;
  critic_verdict: string | null;
  critic_feedback: string | null;
  usage: Usage;
  started_at: string | null;
  finished_at: string | null;
}

export interface Task {
  id: string;
  goal: string;
  character_id: string;
  /** The primary character first (role "primary"), then the extra agents. */
  agents: TaskAgent[];
  status: TaskStatus;
  result: string | null;
  error_code: string | null;
  error: string | null;
  prompt_versions: Record<string, string>;
  usage: Usage;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface TaskDetail extends Task {
  /** In plan order. */
  steps: TaskStep[];
  usage_by_agent: AgentUsage[];
}

export interface TaskPage {
  items: Task[];
  total: number;
  limit: number;
  offset: number;
}

export interface TaskCreate {
  goal: string;
  character_id: string;
  agents?: TaskAgent[];
}

/** The role of the task's own character; an extra agent takes any other. */
export const PRIMARY_ROLE = "primary";
/** What a role may look like (the API's TaskCreate says so too), for the form's field. */
export const ROLE_PATTERN = "[a-z][a-z0-9_\\-]{0,31}";

// -- calls ---------------------------------------------------------------------------

export const TASKS = "/api/v2/tasks";
const one = (id: string) => `${TASKS}/${encodeURIComponent(id)}`;

export const tasks = {
  list: (offset = 0, limit = 30) => api.get<TaskPage>(TASKS, { limit, offset }),
  get: (id: string) => api.get<TaskDetail>(one(id)),
  create: (data: TaskCreate) => api.post<Task>(TASKS, data),
  cancel: (id: string) => api.post<Task>(`${one(id)}/cancel`),
};

// -- statuses ------------------------------------------------------------------------

const TASK_DONE: ReadonlySet<TaskStatus> = new Set(["succeeded", "failed", "cancelled"]);
const STEP_DONE: ReadonlySet<StepStatus> = new Set(["succeeded", "failed", "cancelled"]);

/** A finished task changes no more: nothing to watch, nothing to cancel. */
export const taskFinished = (task: Pick<Task, "status">) => TASK_DONE.has(task.status);
export const stepFinished = (step: Pick<TaskStep, "status">) => STEP_DONE.has(step.status);

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

export const tokensOf = (usage: Usage) => usage.prompt_tokens + usage.completion_tokens;

/** The roles a character has in a task ("primary", "researcher"), joined for a table. */
export function rolesOf(task: Pick<Task, "agents">, characterId: string | null): string {
  return task.agents
    .filter((agent) => agent.character_id === characterId)
    .map((agent) => agent.role)
    .join(", ");
}

/** Prompt versions as "name v1" pairs, sorted by name, for a list. */
export function promptVersions(task: Pick<Task, "prompt_versions">): [string, string][] {
  return Object.entries(task.prompt_versions ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
