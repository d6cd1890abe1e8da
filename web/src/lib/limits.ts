// A refusal because of the person's plan or a limit (docs/plans.md, "Error shapes"), read
// from an ApiError: what was refused, when it resets, which plan would allow it. Codes this
// UI does not know yet are still shown through the body's own fields.
import { ApiError } from "./api";

export interface LimitRefusal {
  code: string;
  title: string;
  detail: string;
  /** When the limit lifts (an ISO instant), if it does by itself. */
  resetAt: string | null;
  /** The plan (its id) that allows more, if any. */
  upgradeTo: string | null;
}

const TITLES: Record<string, string> = {
  messages_per_day: "Daily message limit reached",
  audio_minutes_per_day: "Daily audio limit reached",
  tool_calls_per_day: "Daily tool limit reached",
  python_runs_per_day: "Daily Python run limit reached",
  tasks_per_day: "Daily task limit reached",
  characters: "Character limit reached",
  voice_clones: "Voice clone limit reached",
  api_access: "API access is not in your plan",
  live_calls: "Live calls are not in your plan",
};

const CODE_TITLES: Record<string, string> = {
  quota_exceeded: "Daily limit reached",
  feature_not_in_plan: "Not in your plan",
  plan_limit_reached: "Plan limit reached",
  budget_exhausted: "Monthly budget used up",
  rate_limited: "Too many requests",
  too_many_generations: "Too many replies at once",
  model_not_in_plan: "Model not in your plan",
  temporarily_banned: "Temporarily blocked",
};

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** The refusal an error is, or null for any other error. */
export function limitRefusal(error: unknown): LimitRefusal | null {
  if (!(error instanceof ApiError)) return null;
  const { body } = error;
  const known = error.code in CODE_TITLES;
  const hinted = "reset_at" in body || "upgrade_to" in body;
  if (!known && !(hinted && (error.status === 403 || error.status === 429))) return null;
  const what = text(body.limit) ?? text(body.feature);
  return {
    code: error.code,
    title: (what && TITLES[what]) ?? CODE_TITLES[error.code] ?? "Limit reached",
    detail: error.detail,
    resetAt: text(body.reset_at) ?? retryInstant(error.retryAfter),
    upgradeTo: text(body.upgrade_to),
  };
}

/** Retry-After seconds from now, as an instant. */
function retryInstant(seconds: number | null): string | null {
  if (seconds === null) return null;
  return new Date(Date.now() + seconds * 1000).toISOString();
}
