// The settings area: the person's profile and account, and their usage. The API's shapes
// (schema.d.ts, generated from src/cognitia/users and llm). Personas are characters.ts's,
// API keys auth.ts's.
import { api, request, type Schema } from "./api";
import type { User } from "./auth";

// ---- Profile and account -------------------------------------------------------------

/** PATCH /users/me: every field optional; e-mail and password changes need current_password. */
export type ProfileChange = Schema<"UserUpdate">;

/** The updated user; `pending_email` is a new address waiting for its verification link;
 * `credentials_revoked`: the password changed, so every other session and every API key ended. */
export type ProfileUpdated = Schema<"UserUpdated">;

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
  const body: Schema<"AccountDelete"> = { current_password: currentPassword };
  return request<void>("DELETE", ME, { json: body });
}

// ---- Usage ---------------------------------------------------------------------------

/** One model's use on one day (UTC), in dollars (the API converts its nano-dollar sums). */
export type UsageRow = Schema<"UsageRow">;
export type UsageReport = Schema<"UsageReport">;

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
