// Characters, their lorebooks and cards: the API's shapes (src/cognitia/characters/schemas.py,
// lorebooks/schemas.py) and the calls the character pages make.
import { api, send } from "./api";

export type Visibility = "private" | "unlisted" | "public";
export type SelectiveLogic = "and_any" | "and_all" | "not_any" | "not_all";
export type EntryPosition = "before_char" | "after_char" | "at_depth";
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
export interface CharacterFields {
  name: string;
  description: string;
  personality: string;
  scenario: string;
  first_message: string;
  alternate_greetings: string[];
  group_only_greetings: string[];
  example_dialogue: string;
  system_prompt: string;
  post_history_instructions: string;
  prompt_template: string;
  creator_notes: string;
  creator: string;
  character_version: string;
  tags: string[];
  voice_model: string | null;
  voice_settings: JsonObject;
  model: string | null;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
  talkativeness: number;
  extensions: JsonObject;
  card_extra: JsonObject;
  lorebook_id: string | null;
  share_lorebook: boolean;
  visibility: Visibility;
}

export interface Character extends CharacterFields {
  id: string;
  owner_id: string;
  chat_count: number;
  avatar_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Lorebook {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  scan_depth: number;
  token_budget: number;
  recursive_scanning: boolean;
  extensions: JsonObject;
  extra: JsonObject;
  created_at: string;
  updated_at: string;
}

export type LorebookSettings = Pick<Lorebook, "name" | "description" | "scan_depth" | "token_budget" | "recursive_scanning">;

export interface EntryFields {
  keys: string[];
  secondary_keys: string[];
  selective_logic: SelectiveLogic;
  content: string;
  comment: string;
  constant: boolean;
  enabled: boolean;
  use_regex: boolean;
  case_sensitive: boolean | null;
  insertion_order: number;
  position: EntryPosition;
  depth: number;
}

export interface LorebookEntry extends EntryFields {
  id: string;
  lorebook_id: string;
  source_uid: number | null;
  extensions: JsonObject;
  extra: JsonObject;
}

export interface LorebookDetail extends Lorebook {
  entries: LorebookEntry[];
}

export interface ImportResult {
  kind: "character" | "lorebook";
  character: Character | null;
  lorebook: Lorebook | null;
}

export interface VoicePermission {
  character_id: string;
  user_id: string;
  created_at: string;
}

export interface ModelChoice {
  id: string;
  label: string;
}

export type MarketplaceSort = "newest" | "popular";

export interface MarketplaceSearch {
  q?: string;
  tag?: string;
  sort?: MarketplaceSort;
  limit?: number;
  offset?: number;
}

const BASE = "/api/v2/characters";
const BOOKS = "/api/v2/lorebooks";

export const characters = {
  mine: (limit: number, offset: number) => api.get<Page<Character>>(BASE, { limit, offset }),
  marketplace: (search: MarketplaceSearch) => api.get<Page<Character>>(`${BASE}/marketplace`, { ...search }),
  get: (id: string) => api.get<Character>(`${BASE}/${encodeURIComponent(id)}`),
  create: (data: Partial<CharacterFields> & { name: string }) => api.post<Character>(BASE, data),
  update: (id: string, data: Partial<CharacterFields>) => api.patch<Character>(`${BASE}/${encodeURIComponent(id)}`, data),
  delete: (id: string) => api.delete(`${BASE}/${encodeURIComponent(id)}`),
  setAvatar: (id: string, file: Blob, filename = "avatar") =>
    api.upload<Character>(`${BASE}/${encodeURIComponent(id)}/avatar`, formWith(file, filename), "PUT"),
  deleteAvatar: (id: string) => api.delete(`${BASE}/${encodeURIComponent(id)}/avatar`),
  importCard: (file: File) => api.upload<ImportResult>(`${BASE}/import`, formWith(file, file.name)),
  voicePermissions: (id: string) => api.get<VoicePermission[]>(`${BASE}/${encodeURIComponent(id)}/voice-permission`),
  grantVoice: (id: string, userId: string) =>
    api.post<VoicePermission>(`${BASE}/${encodeURIComponent(id)}/voice-permission`, { user_id: userId }),
  revokeVoice: (id: string, userId: string) =>
    api.delete(`${BASE}/${encodeURIComponent(id)}/voice-permission/${encodeURIComponent(userId)}`),
};

export const lorebooks = {
  mine: () => api.get<Page<Lorebook>>(BOOKS, { limit: 200 }),
  get: (id: string) => api.get<LorebookDetail>(`${BOOKS}/${encodeURIComponent(id)}`),
  create: (data: Partial<LorebookSettings> & { name: string }) => api.post<Lorebook>(BOOKS, data),
  update: (id: string, data: Partial<LorebookSettings>) => api.patch<Lorebook>(`${BOOKS}/${encodeURIComponent(id)}`, data),
  entries: (id: string) => api.get<LorebookEntry[]>(`${BOOKS}/${encodeURIComponent(id)}/entries`),
  addEntry: (id: string, data: EntryFields) => api.post<LorebookEntry>(`${BOOKS}/${encodeURIComponent(id)}/entries`, data),
  updateEntry: (id: string, entryId: string, data: Partial<EntryFields>) =>
    api.patch<LorebookEntry>(`${BOOKS}/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}`, data),
  deleteEntry: (id: string, entryId: string) =>
    api.delete(`${BOOKS}/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}`),
};

function formWith(file: Blob, filename: string): FormData {
  const form = new FormData();
  form.append("file", file, filename);
  return form;
}

/** A 1:1 chat with the character (ChatCreate in src/cognitia/chats/schemas.py); its id. */
export async function startChat(characterId: string): Promise<string> {
  const chat = await api.post<{ id: string }>("/api/v2/chats", { character_ids: [characterId] });
  return chat.id;
}

/** Catalogue models and lanes, for the editor's model field. */
export async function modelChoices(): Promise<ModelChoice[]> {
  const found = await api.get<{ models: { id: string }[]; lanes: Record<string, string[]> }>("/api/v2/models");
  return [
    ...found.models.map((m) => ({ id: m.id, label: m.id })),
    ...Object.entries(found.lanes).map(([lane, chain]) => ({ id: `lane/${lane}`, label: `lane ${lane}: ${chain.join(" → ")}` })),
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
