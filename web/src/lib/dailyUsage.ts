// The admin's daily usage (GET /api/v2/admin/usage/daily): the usage_daily rows the
// billing.daily_metrics job writes at 00:05 UTC for the day before, one per person, model
// and day, added up here per day for the table.
import { api, type Schema } from "./api";

export type DailyUsage = Schema<"DailyUsage">;

export interface DayTotals {
  day: string;
  requests: number;
  tokens: number;
  costUsd: number;
  audioMinutes: number;
}

export function fetchDailyUsage(start: string, end: string, userId?: string): Promise<DailyUsage> {
  const query: Record<string, string> = { start, end };
  if (userId) query.user_id = userId;
  return api.get<DailyUsage>("/api/v2/admin/usage/daily", query);
}

/** The UTC day `daysBefore` days before today, as the API's YYYY-MM-DD. */
export function utcDay(daysBefore = 0): string {
  return new Date(Date.now() - daysBefore * 86_400_000).toISOString().slice(0, 10);
}

/** The rows added up per day, oldest first. */
export function perDay(rows: DailyUsage["rows"]): DayTotals[] {
  const days = new Map<string, DayTotals>();
  for (const row of rows) {
    const day = days.get(row.day) ?? { day: row.day, requests: 0, tokens: 0, costUsd: 0, audioMinutes: 0 };
    day.requests += row.requests;
    day.tokens += row.prompt_tokens + row.completion_tokens;
    day.costUsd += row.cost_nanousd / 1e9;
    day.audioMinutes += row.audio_seconds / 60;
    days.set(row.day, day);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

// Sub-cent costs are common (a few thousand tokens): four decimals.
const usd = new Intl.NumberFormat("en-US", {
  style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4,
});
const count = new Intl.NumberFormat("en-US");
const minutes = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export const formatUsd = (value: number) => usd.format(value);
export const formatCount = (value: number) => count.format(value);
export const formatMinutes = (value: number) => minutes.format(value);
