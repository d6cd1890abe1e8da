// Tools: what this server offers (for the character editor), a reply's tool calls as the
// chat shows them, and a member's consent to a call (docs/tools.md, "Consent").
import { api, ApiError, type Schema } from "./api";
import { CHATS } from "./chats";

export type Tool = Schema<"ToolRead">;
export type ToolPolicy = Tool["default_policy"];
export type ToolApproval = Schema<"ToolApprovalRead">;

export const POLICIES: { value: ToolPolicy; label: string }[] = [
  { value: "always", label: "Always run" },
  { value: "ask", label: "Ask first" },
  { value: "never", label: "Never" },
];

/** One call of a reply: stored ({id, name, arguments, result, ok}) or still live, when
 * `result` is not there yet and `awaiting` says it waits for a member's approval. */
export interface ToolCallView {
  id: string;
  name: string;
  arguments: string;
  result?: string;
  ok?: boolean;
  awaiting?: boolean;
  /** The plan's refusal of the call (its daily tool limit): the error body's fields. */
  limit?: Record<string, unknown>;
}

export const tools = {
  list: () => api.get<Schema<"ToolList">>("/api/v2/tools"),
  /** The chat's calls waiting for a member's approval now. */
  waiting: (chatId: string) => api.get<Schema<"ToolApprovalList">>(`${CHATS}/${chatId}/tool-calls`),
  decide: (chatId: string, callId: string, approve: boolean) =>
    api.post<ToolApproval>(
      `${CHATS}/${chatId}/tool-calls/${encodeURIComponent(callId)}/${approve ? "approve" : "decline"}`,
    ),
};

/** The message's calls, as the API stores them (anything else in the list is left out). */
export function callsOf(stored: Record<string, unknown>[] | undefined): ToolCallView[] {
  return (stored ?? [])
    .filter((call) => typeof call.id === "string" && typeof call.name === "string")
    .map((call) => ({
      id: call.id as string,
      name: call.name as string,
      arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {}),
      result: typeof call.result === "string" ? call.result : undefined,
      ok: typeof call.ok === "boolean" ? call.ok : undefined,
      limit: isObject(call.limit) ? call.limit : undefined,
    }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A refused call's limit as the error LimitMessage reads (ErrorText), or null. */
export function limitError(call: ToolCallView): ApiError | null {
  const body = call.limit;
  if (!body) return null;
  const code = typeof body.error === "string" ? body.error : "quota_exceeded";
  const detail = typeof body.detail === "string" ? body.detail : (call.result ?? "");
  return new ApiError(429, code, detail, body);
}

/** A short status for the collapsed line. */
export function callStatus(call: ToolCallView): string {
  if (call.awaiting) return "waiting for approval";
  if (call.result === undefined) return "running…";
  if (call.ok) return "done";
  return call.result.includes("declined") ? "declined" : "failed";
}

/** JSON text pretty-printed when it parses (the model's arguments may not). */
export function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
