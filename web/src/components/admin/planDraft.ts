// A plan's limits as an admin's form holds them (text, so that blank can mean unlimited)
// and back into what the API takes. Prices and budgets are typed in dollars, sent in cents.
import type { Plan, PlanCreate } from "../../lib/plans";

/** What the form sets: a new plan's fields but its id, or every field of a change. */
export type PlanFieldValues = Omit<PlanCreate, "id">;

export const LIMITS = [
  { key: "messages_per_day", label: "Messages / day" },
  { key: "audio_minutes_per_day", label: "Audio min / day" },
  { key: "max_characters", label: "Characters" },
  { key: "voice_clones", label: "Voice clones" },
  { key: "concurrent_generations", label: "Concurrent replies" },
  { key: "tool_calls_per_day", label: "Tool calls / day" },
  { key: "python_runs_per_day", label: "Python runs / day" },
  { key: "tasks_per_day", label: "Tasks / day" },
] as const;

export type LimitKey = (typeof LIMITS)[number]["key"];

export interface PlanDraft {
  name: string;
  price: string;
  budget: string;
  limits: Record<LimitKey, string>;
  public: boolean;
  live_calls: boolean;
  api_access: boolean;
}

const dollars = (cents: number | null) => (cents === null ? "" : (cents / 100).toFixed(2));

export function toDraft(plan?: Plan): PlanDraft {
  const limits = Object.fromEntries(
    LIMITS.map(({ key }) => [key, plan?.[key] == null ? "" : String(plan[key])]),
  ) as Record<LimitKey, string>;
  return {
    name: plan?.name ?? "",
    price: plan ? dollars(plan.price_cents) : "0",
    budget: dollars(plan?.monthly_budget_cents ?? null),
    limits,
    public: plan?.public ?? true,
    live_calls: plan?.live_calls ?? false,
    api_access: plan?.api_access ?? false,
  };
}

/** Whole numbers or blank; the first bad field is named. */
export function fromDraft(draft: PlanDraft): { change: PlanFieldValues } | { problem: string } {
  const change: PlanFieldValues = {
    name: draft.name.trim(),
    public: draft.public,
    live_calls: draft.live_calls,
    api_access: draft.api_access,
  };
  for (const { key, label } of LIMITS) {
    const value = whole(draft.limits[key]);
    if (value === undefined) return { problem: `${label}: a whole number, or blank for unlimited.` };
    change[key] = value;
  }
  const price = cents(draft.price);
  if (price === undefined) return { problem: "Price: an amount in dollars, or blank for on request." };
  const budget = cents(draft.budget);
  if (budget === undefined) return { problem: "Monthly budget: an amount in dollars, or blank for none." };
  change.price_cents = price;
  change.monthly_budget_cents = budget;
  return { change };
}

/** null for blank, undefined for nonsense. */
function whole(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (!trimmed) return null;
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
}

function cents(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(trimmed)) return undefined;
  return Math.round(Number(trimmed) * 100);
}
