// The knowledge area: documents (the person's data bank and a character's own) and what a
// character remembers about the person. Shapes are the API's (schema.d.ts, generated from
// src/cognitia/knowledge and memory).
import { api, type Schema } from "./api";

// ---- Documents -----------------------------------------------------------------------

/** `content_type` is the format the server detected from the bytes, never the browser's
 * guess; `progress` 0–100 while ingesting; `error` why it failed, or (while queued again)
 * which attempt failed and why. `character_id` is null in the person's data bank. */
export type KnowledgeDocument = Schema<"DocumentRead">;
export type DocumentStatus = Schema<"DocumentStatus">;

/** What the upload field offers; the server decides the type from the content anyway. */
export const DOCUMENT_TYPES = ".txt,.md,.markdown,.html,.htm,.pdf,.docx";

/** The documents of one scope: the data bank or one character's, with the same operations. */
export class DocumentShelf {
  constructor(readonly path: string) {}

  static dataBank(): DocumentShelf {
    return new DocumentShelf("/api/v2/documents");
  }

  static ofCharacter(characterId: string): DocumentShelf {
    return new DocumentShelf(`/api/v2/characters/${encodeURIComponent(characterId)}/documents`);
  }

  async list(): Promise<KnowledgeDocument[]> {
    return (await api.get<Schema<"DocumentList">>(this.path)).items;
  }

  upload(file: File): Promise<KnowledgeDocument> {
    return api.upload<KnowledgeDocument>(this.path, fileForm(file));
  }

  /** A new version of the document's file: same id, ingested again. */
  replace(id: string, file: File): Promise<KnowledgeDocument> {
    return api.upload<KnowledgeDocument>(this.itemPath(id), fileForm(file), "PUT");
  }

  retry(id: string): Promise<KnowledgeDocument> {
    return api.post<KnowledgeDocument>(`${this.itemPath(id)}/retry`);
  }

  remove(id: string): Promise<void> {
    return api.delete(this.itemPath(id));
  }

  private itemPath(id: string): string {
    return `${this.path}/${encodeURIComponent(id)}`;
  }
}

function fileForm(file: File): FormData {
  const form = new FormData();
  form.append("file", file, file.name);
  return form;
}

/** Still being ingested: worth asking again soon. */
export function isIngesting(document: KnowledgeDocument): boolean {
  return document.status === "queued" || document.status === "processing";
}

// ---- Memories ------------------------------------------------------------------------

/** A fact the character learnt about the person, or an episode: one exchange of a chat.
 * `score` is the search's, when searching. */
export type Memory = Schema<"MemoryRead">;
export type MemoryKind = Memory["kind"];
export type MemoryPage = Schema<"MemoryPage">;

export const MEMORY_PAGE_SIZE = 50;

export function memoriesOf(characterId: string) {
  const path = `/api/v2/characters/${encodeURIComponent(characterId)}/memories`;
  const item = (id: string) => `${path}/${encodeURIComponent(id)}`;
  return {
    /** Facts first, then episodes, newest first; with `query`, the best matches (no paging). */
    list: (options: { query?: string; offset?: number } = {}) =>
      api.get<MemoryPage>(path, {
        q: options.query?.trim() || undefined,
        offset: options.offset,
        limit: MEMORY_PAGE_SIZE,
      }),
    /** Only facts can be corrected; an episode is what was said. */
    update: (id: string, content: string) => api.patch<Memory>(item(id), { content } satisfies Schema<"MemoryUpdate">),
    remove: (id: string) => api.delete(item(id)),
    clear: () => api.delete(path),
  };
}

// ---- Formatting ----------------------------------------------------------------------

const units = ["bytes", "KB", "MB", "GB"];

export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** The detected format as people name it. */
export function formatName(contentType: string): string {
  const known: Record<string, string> = {
    "text/plain": "Text",
    "text/markdown": "Markdown",
    "text/html": "HTML",
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
  };
  return known[contentType.split(";")[0].trim()] ?? contentType;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatWhen(iso: string): string {
  return dateTime.format(new Date(iso));
}
