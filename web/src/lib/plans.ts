// Plans, the person's subscription and usage, and payments (docs/plans.md). The API's shapes
// come from schema.d.ts (src/cognitia/billing/schemas.py); the payment routes may be absent
// (payments off, or a server without them), which reads as "payments off".
import { api, type Schema } from "./api";

export type Plan = Schema<"PlanRead">;
export type Subscription = Schema<"SubscriptionRead">;
export type Usage = Schema<"UsageRead">;
export type Counter = Schema<"Counter">;
export type Grants = Schema<"Grants">;
export type PlanCreate = Schema<"PlanCreate">;
export type PlanChange = Schema<"PlanUpdate">;
export type PlanAssign = Schema<"PlanAssign">;

const SUBSCRIPTION = "/api/v2/subscription";
const ADMIN = "/api/v2/admin";

let publicPlans: Promise<Plan[]> | null = null;

export const plans = {
  /** The public plans in pricing order; asked once per page load (a refusal names one). */
  listPublic: (): Promise<Plan[]> => {
    publicPlans ??= api.get<Plan[]>(`${SUBSCRIPTION}/plans`).catch((error: unknown) => {
      publicPlans = null;
      throw error;
    });
    return publicPlans;
  },
  current: () => api.get<Subscription>(`${SUBSCRIPTION}/current`),
  usage: () => api.get<Usage>(`${SUBSCRIPTION}/usage`),
  cancel: () => api.post<Subscription>(`${SUBSCRIPTION}/cancel`),
  reactivate: () => api.post<Subscription>(`${SUBSCRIPTION}/reactivate`),
};

// ---- Payments (Stripe Checkout and the billing portal, when the server has a key) -----

/** Whether this server takes payments. A server without the route (404) does not, and
 * when the answer cannot be had no payment button is better than a broken one. */
export async function paymentsEnabled(): Promise<boolean> {
  try {
    const answer = await api.get<{ enabled: boolean }>(`${SUBSCRIPTION}/payments`);
    return answer.enabled === true;
  } catch {
    return false;
  }
}

/** Checkout or the billing portal: the browser leaves for Stripe's page. */
export async function goToCheckout(planId: string): Promise<void> {
  const { url } = await api.post<{ url: string }>(`${SUBSCRIPTION}/checkout`, { plan_id: planId });
  location.assign(url);
}

export async function goToBillingPortal(): Promise<void> {
  const { url } = await api.post<{ url: string }>(`${SUBSCRIPTION}/portal`);
  location.assign(url);
}

// ---- Admin ---------------------------------------------------------------------------

export type AdminUser = Schema<"UserRead">;

export const admin = {
  plans: () => api.get<Plan[]>(`${ADMIN}/plans`),
  createPlan: (plan: PlanCreate) => api.post<Plan>(`${ADMIN}/plans`, plan),
  updatePlan: (id: string, change: PlanChange) =>
    api.patch<Plan>(`${ADMIN}/plans/${encodeURIComponent(id)}`, change),
  findUsers: (q: string) => api.get<Schema<"UserPage">>(`${ADMIN}/users`, { q, limit: 20 }),
  assignPlan: (userId: string, assign: PlanAssign) =>
    api.put<Subscription>(`${ADMIN}/users/${encodeURIComponent(userId)}/subscription`, assign),
  setGrants: (userId: string, grants: Grants) =>
    api.put<Subscription>(`${ADMIN}/users/${encodeURIComponent(userId)}/grants`, grants),
  usageOf: (userId: string) => api.get<Usage>(`${ADMIN}/users/${encodeURIComponent(userId)}/usage`),
};

// ---- Formatting ----------------------------------------------------------------------

const whole = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });

/** A plan's monthly price: "$9.99 / month", "Free", "On request". */
export function formatPrice(cents: number | null): string {
  if (cents === null) return "On request";
  if (cents === 0) return "Free";
  return `${whole.format(cents / 100)} / month`;
}

export function formatCents(cents: number): string {
  return whole.format(cents / 100);
}

const number = new Intl.NumberFormat();

/** A limit: a number, or "Unlimited" for null. */
export function formatLimit(limit: number | null | undefined, unit = ""): string {
  if (limit === null || limit === undefined) return "Unlimited";
  return unit ? `${number.format(limit)} ${unit}` : number.format(limit);
}

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

/** An instant from the API in the person's own time zone. */
export function formatWhen(iso: string): string {
  const parsed = new Date(iso);
  return Number.isNaN(parsed.getTime()) ? iso : when.format(parsed);
}

export function formatDate(iso: string): string {
  const parsed = new Date(iso);
  return Number.isNaN(parsed.getTime()) ? iso : date.format(parsed);
}

/** One plan's limits as label/value pairs, in the order the pricing page lists them. */
export function planFeatures(plan: Plan): { label: string; value: string }[] {
  const yesNo = (on: boolean) => (on ? "Included" : "Not included");
  const features = [
    { label: "Messages per day", value: formatLimit(plan.messages_per_day) },
    { label: "Audio minutes per day", value: formatLimit(plan.audio_minutes_per_day) },
    { label: "Characters", value: formatLimit(plan.max_characters) },
    { label: "Voice clones", value: formatLimit(plan.voice_clones) },
    { label: "Tool calls per day", value: formatLimit(plan.tool_calls_per_day) },
    { label: "Python runs per day", value: formatLimit(plan.python_runs_per_day) },
    { label: "Live calls", value: yesNo(plan.live_calls) },
    { label: "API access", value: yesNo(plan.api_access) },
  ];
  if (plan.monthly_budget_cents !== null) {
    features.push({ label: "Monthly budget", value: formatCents(plan.monthly_budget_cents) });
  }
  return features;
}
