// The settings area: the person's profile and account, personas, API keys and usage.
// Shapes follow the API's schemas (src/cognitia/users, auth, characters/personas, llm).
import { api, request } from "./api";
import type { User } from "./session.svelte";

// ---- Profile and account -------------------------------------------------------------

/** PATCH /users/me: every field optional; e-mail and password changes need current_password. */
export interface ProfileChange {
  first_name?: string;
  last_name?: string;
  email?: string;
  current_password?: string;
  new_password?: string;
}

/** The updated user; `pending_email` is a new address waiting for its verification link;
 * `credentials_revoked`: the password changed, so every other session and every API key ended. */
export interface ProfileUpdated extends User {
  pending_email: string | null;
  credentials_revoked: boolean;
}

const ME = "/api/v2/users/me";

/** A wrong `current_password` is a 401 `invalid_credentials`: api.ts leaves the session
 * alone for that code, so it comes back here as an ApiError to show on the page. */
export function updateProfile(change: ProfileChange): Promise<ProfileUpdated> {
  return api.patch<ProfileUpdated>(ME, change);
}

/** The user as the session keeps it (without the one-off `pending_email`). */
export function asUser({ pending_email: _, credentials_revoked: __, ...user }: ProfileUpdated): User {
  return user;
}

/** Needs the current password (an API key cannot delete the account). */
export function deleteAccount(currentPassword: string): Promise<void> {
  return request<void>("DELETE", ME, { json: { current_password: currentPassword } });
}

// ---- Personas ------------------------------------------------------------------------

export interface Persona {
  id: string;
  name: string;
  description: string;
  /** At most one persona is the default: new chats use it unless another is picked. */
  is_default: boolean;
  created_at: string;
}

export interface PersonaFields {
  name: string;
  description: string;
  is_default: boolean;
}

const PERSONAS = "/api/v2/personas";

export const personas = {
  list: () => api.get<Persona[]>(PERSONAS),
  create: (fields: PersonaFields) => api.post<Persona>(PERSONAS, fields),
  update: (id: string, fields: Partial<PersonaFields>) =>
    api.patch<Persona>(`${PERSONAS}/${encodeURIComponent(id)}`, fields),
  remove: (id: string) => api.delete(`${PERSONAS}/${encodeURIComponent(id)}`),
};

// ---- API keys ------------------------------------------------------------------------

/** full: everything but the account's own credentials; chat: chats and /v1 only. */
export type ApiKeyScope = "full" | "chat";

export interface ApiKey {
  id: string;
  name: string;
  /** The key's first characters, to tell keys apart; the key itself is never shown again. */
  prefix: string;
  scope: ApiKeyScope;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Only the creation's answer carries the key itself. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** A new key's settings; creating one needs the current password. */
export interface ApiKeyFields {
  name: string;
  scope: ApiKeyScope;
  expires_in_days: number | null;
  current_password: string;
}

/** The lifetimes offered for a new key (the API takes 1 to 3650 days, or none). */
export const KEY_LIFETIMES = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: null, label: "Never expires" },
] as const;

const KEYS = "/api/v2/api-keys";

export const apiKeys = {
  list: () => api.get<ApiKey[]>(KEYS),
  create: (fields: ApiKeyFields) => api.post<CreatedApiKey>(KEYS, fields),
  /** Revoking keeps the key in the list, with `revoked_at` set. */
  revoke: (id: string) => api.delete<ApiKey>(`${KEYS}/${encodeURIComponent(id)}`),
};

// ---- Usage ---------------------------------------------------------------------------

/** One model's use on one day (UTC). The API converts its nano-dollar sums to dollars. */
export interface UsageRow {
  day: string;
  model: string;
  calls: number;
  failed: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

export interface UsageReport {
  days: number;
  rows: UsageRow[];
  total_calls: number;
  total_tokens: number;
  total_cost_usd: number;
}

/** The periods offered; the API takes any number of days from 1 to 366, today included. */
export const USAGE_PERIODS = [
  { days: 1, label: "Today" },
  { days: 7, label: "Last 7 days" },
  { days: 30, label: "Last 30 days" },
  { days: 90, label: "Last 90 days" },
  { days: 366, label: "Last year" },
] as const;

export function usage(days: number): Promise<UsageReport> {
  return api.get<UsageReport>("/api/v2/usage", { days });
}

// ---- Formatting ----------------------------------------------------------------------

const dollars = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
// A single call often costs a fraction of a cent: show its first significant digits.
const cents = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  maximumSignificantDigits: 2,
});

export function formatDollars(amount: number): string {
  return amount > 0 && amount < 0.01 ? cents.format(amount) : dollars.format(amount);
}

const count = new Intl.NumberFormat();

export function formatCount(value: number): string {
  return count.format(value);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** A usage day ("2025-05-01", a UTC date) as a readable date. */
export function formatDay(isoDay: string): string {
  const parsed = new Date(`${isoDay}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) ? isoDay : day.format(parsed);
}
