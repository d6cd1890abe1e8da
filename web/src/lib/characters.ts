// Characters, their lorebooks and cards, and the person's personas: the API's shapes (taken
// from schema.d.ts, generated from src/cognitia/characters/**/schemas.py) and the calls the
// pages make. The one client of /characters, /lorebooks and /personas.
import { api, send, type Schema } from "./api";
import type { paths } from "./schema";

export type Character = Schema<"CharacterRead">;
export type CharacterPage = Schema<"CharacterPage">;
export type Visibility = Schema<"Visibility">;
export type SelectiveLogic = Schema<"SelectiveLogic">;
export type EntryPosition = Schema<"EntryPosition">;
export type JsonObject = Record<string, unknown>;

export const PROMPT_TEMPLATES = ["chat", "pygmalion", "metharme", "alpaca", "chatml", "llama3", "mistral"];
export const VISIBILITIES: { value: Visibility; label: string }[] = [
  { value: "private", label: "Private: only you" },
  { value: "unlisted", label: "Unlisted: anyone with the link" },
  { value: "public", label: "Public: listed in the marketplace" },
];
/** The largest card the import accepts, and the largest picture (the API's limits). */
export const MAX_CARD_BYTES = 20 * 1024 * 1024;
export const MAX_AVATAR_BYTES = 5 * 1024 * 1024;

/** Every field a character has; CharacterCreate takes all but the read-only ones. */
export type CharacterFields = Omit<Character, "id" | "owner_id" | "chat_count" | "avatar_url" | "created_at" | "updated_at">;

export type Lorebook = Schema<"LorebookRead">;
export type LorebookDetail = Schema<"LorebookDetail">;
export type LorebookEntry = Schema<"EntryRead">;

/** What the entry form edits: an entry without its ids and imported extras. */
export type EntryFields = Pick<
  LorebookEntry,
  | "keys"
  | "secondary_keys"
  | "selective_logic"
  | "content"
  | "comment"
  | "constant"
  | "enabled"
  | "use_regex"
  | "case_sensitive"
  | "insertion_order"
  | "position"
  | "depth"
>;

export type ImportResult = Schema<"ImportResult">;
export type VoicePermission = Schema<"VoicePermissionRead">;

export type Persona = Schema<"PersonaRead">;
export type PersonaFields = Pick<Persona, "name" | "description" | "is_default">;

/** A model the editor offers: a catalogue model or a lane (not an API shape). */
export interface ModelChoice {
  id: string;
  label: string;
}

/** The marketplace's query parameters: q, tag, sort, limit, offset. */
export type MarketplaceSearch = NonNullable<paths["/api/v2/characters/marketplace"]["get"]["parameters"]["query"]>;
export type MarketplaceSort = NonNullable<MarketplaceSearch["sort"]>;

const BASE = "/api/v2/characters";
const BOOKS = "/api/v2/lorebooks";
const PERSONAS = "/api/v2/personas";

export const characters = {
  mine: (limit: number, offset: number) => api.get<CharacterPage>(BASE, { limit, offset }),
  marketplace: (search: MarketplaceSearch) => api.get<CharacterPage>(`${BASE}/marketplace`, { ...search }),
  get: (id: string) => api.get<Character>(`${BASE}/${encodeURIComponent(id)}`),
  create: (data: Schema<"CharacterCreate">) => api.post<Character>(BASE, data),
  update: (id: string, data: Schema<"CharacterUpdate">) => api.patch<Character>(`${BASE}/${encodeURIComponent(id)}`, data),
  delete: (id: string) => api.delete(`${BASE}/${encodeURIComponent(id)}`),
  setAvatar: (id: string, file: Blob, filename = "avatar") =>
    api.upload<Character>(`${BASE}/${encodeURIComponent(id)}/avatar`, formWith(file, filename), "PUT"),
  deleteAvatar: (id: string) => api.delete(`${BASE}/${encodeURIComponent(id)}/avatar`),
  importCard: (file: File) => api.upload<ImportResult>(`${BASE}/import`, formWith(file, file.name)),
  voicePermissions: (id: string) => api.get<VoicePermission[]>(`${BASE}/${encodeURIComponent(id)}/voice-permission`),
  grantVoice: (id: string, userId: string) =>
    api.post<VoicePermission>(`${BASE}/${encodeURIComponent(id)}/voice-permission`, {
      user_id: userId,
    } satisfies Schema<"VoicePermissionGrant">),
  revokeVoice: (id: string, userId: string) =>
    api.delete(`${BASE}/${encodeURIComponent(id)}/voice-permission/${encodeURIComponent(userId)}`),
};

export const lorebooks = {
  mine: () => api.get<Schema<"LorebookPage">>(BOOKS, { limit: 200 }),
  get: (id: string) => api.get<LorebookDetail>(`${BOOKS}/${encodeURIComponent(id)}`),
  create: (data: Schema<"LorebookCreate">) => api.post<Lorebook>(BOOKS, data),
  update: (id: string, data: Schema<"LorebookUpdate">) => api.patch<Lorebook>(`${BOOKS}/${encodeURIComponent(id)}`, data),
  entries: (id: string) => api.get<LorebookEntry[]>(`${BOOKS}/${encodeURIComponent(id)}/entries`),
  addEntry: (id: string, data: Schema<"EntryCreate">) =>
    api.post<LorebookEntry>(`${BOOKS}/${encodeURIComponent(id)}/entries`, data),
  updateEntry: (id: string, entryId: string, data: Schema<"EntryUpdate">) =>
    api.patch<LorebookEntry>(`${BOOKS}/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}`, data),
  deleteEntry: (id: string, entryId: string) =>
    api.delete(`${BOOKS}/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}`),
};

/** The person's personas: who they are in a chat (a name and a description). */
export const personas = {
  list: () => api.get<Persona[]>(PERSONAS),
  create: (fields: Schema<"PersonaCreate">) => api.post<Persona>(PERSONAS, fields),
  update: (id: string, fields: Schema<"PersonaUpdate">) =>
    api.patch<Persona>(`${PERSONAS}/${encodeURIComponent(id)}`, fields),
  remove: (id: string) => api.delete(`${PERSONAS}/${encodeURIComponent(id)}`),
};

function formWith(file: Blob, filename: string): FormData {
  const form = new FormData();
  form.append("file", file, filename);
  return form;
}

/** A 1:1 chat with the character; its id. */
export async function startChat(characterId: string): Promise<string> {
  const body: Schema<"ChatCreate"> = { character_ids: [characterId] };
  const chat = await api.post<Schema<"ChatRead">>("/api/v2/chats", body);
  return chat.id;
}

/** Catalogue models and lanes, for the editor's model field. */
export async function modelChoices(): Promise<ModelChoice[]> {
  const found = await api.get<Schema<"CatalogueRead">>("/api/v2/models");
  return [
    ...found.models.map((m) => ({ id: m.id, label: m.id })),
    ...Object.entries(found.lanes).map(([lane, chain]) => ({ id: `lane/${lane}`, label: `lane ${lane}: ${chain.join(" → ")}` })),
    // Not a catalogue lane: the server picks one per reply from what was asked (docs/models.md).
    { id: "lane/auto", label: "lane auto: picked per reply by intent" },
  ];
}

/** The card as a file, named as the API names it (Content-Disposition). */
export async function exportCard(character: Character, format: "png" | "json"): Promise<{ blob: Blob; filename: string }> {
  const response = await send("GET", `${BASE}/${encodeURIComponent(character.id)}/export`, {
    query: { format },
    accept: format === "png" ? "image/png" : "application/json",
  });
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const fallback = `${character.name.replace(/[^\w.-]+/g, "_") || "character"}.${format}`;
  return { blob: await response.blob(), filename: named ? decodeURIComponent(named[1]) : fallback };
}

/** Hand a blob to the browser as a download with the given file name. */
export function download(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.download = filename;
  anchor.style.display = "none";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The download has started by now; the URL is only needed for that.
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** The avatar as a blob: URL (it needs the bearer token, which an <img src> cannot carry). */
export async function avatarObjectUrl(path: string, version: string): Promise<string> {
  const response = await send("GET", path, { query: { v: version }, accept: "image/*" });
  return URL.createObjectURL(await response.blob());
}

/** "a, b ,c" -> ["a", "b", "c"]; repeats and empty parts dropped. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(",").map((part) => part.trim()).filter(Boolean))];
}

export function joinList(values: string[]): string {
  return values.join(", ");
}

/** Only the fields an entry's POST or PATCH takes (a stored entry has its ids besides). */
export function entryFields(entry: EntryFields): EntryFields {
  return {
    keys: [...entry.keys],
    secondary_keys: [...entry.secondary_keys],
    selective_logic: entry.selective_logic,
    content: entry.content,
    comment: entry.comment,
    constant: entry.constant,
    enabled: entry.enabled,
    use_regex: entry.use_regex,
    case_sensitive: entry.case_sensitive,
    insertion_order: entry.insertion_order,
    position: entry.position,
    depth: entry.depth,
  };
}

export function blankEntry(): EntryFields {
  return {
    keys: [],
    secondary_keys: [],
    selective_logic: "and_any",
    content: "",
    comment: "",
    constant: false,
    enabled: true,
    use_regex: false,
    case_sensitive: null,
    insertion_order: 100,
    position: "before_char",
    depth: 4,
  };
}

/** {{char}} and {{user}} as a reader sees them (SillyTavern's macros, any case). */
export function fillMacros(text: string, characterName: string, userName: string): string {
  return text.replace(/\{\{\s*(char|user)\s*\}\}/gi, (_, who: string) =>
    who.toLowerCase() === "char" ? characterName : userName,
  );
}

/** The first `length` characters of a text on one line, for a card in a list. */
export function excerpt(text: string, length = 160): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > length ? `${line.slice(0, length - 1).trimEnd()}…` : line;
}
