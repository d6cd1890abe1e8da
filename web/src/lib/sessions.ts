// Coaching sessions (docs/sessions.md): the API's shapes, taken from schema.d.ts, and its
// calls. A session owns a chat: its turns stream like a chat's (conversation.ts), sent
// through the session's own route so an ended session refuses them.
import { api, send, type Schema } from "./api";

// -- shapes --------------------------------------------------------------------------

export type CoachingSession = Schema<"SessionRead">;
export type SessionDetail = Schema<"SessionDetail">;
export type SessionPage = Schema<"SessionPage">;
export type SessionStats = Schema<"SessionStats">;
export type SessionNotes = Schema<"SessionNotes">;
export type NotesUpdate = Schema<"NotesUpdate">;
export type ActionItem = Schema<"ActionItem">;
export type CarriedItem = Schema<"CarriedItem">;

/** What the API answers when notes could not be written, said for a person. */
export const NOTES_ERRORS: Record<string, string> = {
  notes_unavailable: "No model could write the notes just now. The session has ended; try again, or write them yourself.",
  notes_invalid: "The model's notes could not be read. The session has ended; try again, or write them yourself.",
};

export function notesErrorText(code: string): string {
  return NOTES_ERRORS[code] ?? `The notes could not be written (${code}).`;
}

// -- calls ---------------------------------------------------------------------------

export const SESSIONS = "/api/v2/sessions";
const one = (id: string) => `${SESSIONS}/${encodeURIComponent(id)}`;

export const sessions = {
  list: (offset = 0, limit = 30) => api.get<SessionPage>(SESSIONS, { limit, offset }),
  stats: () => api.get<SessionStats>(`${SESSIONS}/stats`),
  get: (id: string) => api.get<SessionDetail>(one(id)),
  create: (data: Schema<"SessionCreate">) => api.post<CoachingSession>(SESSIONS, data),
  /** The path a turn is POSTed to (answered with the chat's SSE events). */
  turnsPath: (id: string) => `${one(id)}/turns`,
  end: (id: string, generateNotes: boolean) =>
    api.post<CoachingSession>(`${one(id)}/end`, { generate_notes: generateNotes } satisfies Schema<"EndRequest">),
  updateNotes: (id: string, data: NotesUpdate) => api.patch<CoachingSession>(`${one(id)}/notes`, data),
  markItem: (id: string, index: number, done: boolean) =>
    api.patch<CoachingSession>(`${one(id)}/action-items/${index}`, { done } satisfies Schema<"ActionItemUpdate">),
  /** The notes as a Markdown document (the route needs the bearer token: no plain link). */
  async notesMarkdown(id: string): Promise<string> {
    const response = await send("GET", `${one(id)}/notes.md`, { accept: "text/markdown" });
    return response.text();
  },
};

/** Save `text` as a file the browser downloads. */
export function download(text: string, filename: string, type = "text/markdown"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The click has handed the blob to the download; free it once that has begun.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A date, in the person's own words: "7 Dec 2026". */
export function longDate(iso: string): string {
  return new Date(iso).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" });
}
