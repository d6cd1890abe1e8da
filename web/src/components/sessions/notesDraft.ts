// Notes being edited: the form's fields, made from the saved notes and turned back into
// the PATCH body. Insights and follow-up questions are edited as one per line.
import type { NotesUpdate, SessionNotes } from "../../lib/sessions";

export interface ItemDraft {
  /** Keeps a row's inputs while rows are added and removed. */
  key: number;
  /** Its place in the saved notes (PATCH action-items/{index}); null until saved. */
  index: number | null;
  text: string;
  owner: string;
  /** "YYYY-MM-DD", or "" for none (what a date input holds). */
  due: string;
  done: boolean;
}

export interface NotesDraft {
  summary: string;
  insights: string;
  items: ItemDraft[];
  questions: string;
}

let nextKey = 0;

export function newItem(owner: string): ItemDraft {
  nextKey += 1;
  return { key: nextKey, index: null, text: "", owner, due: "", done: false };
}

export function draftOf(notes: SessionNotes | null): NotesDraft {
  return {
    summary: notes?.summary ?? "",
    insights: (notes?.insights ?? []).join("\n"),
    items: (notes?.action_items ?? []).map((item, index) => {
      nextKey += 1;
      return {
        key: nextKey,
        index,
        text: item.text,
        owner: item.owner,
        due: item.due_date ?? "",
        done: item.done ?? false,
      };
    }),
    questions: (notes?.follow_up_questions ?? []).join("\n"),
  };
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The whole notes as a PATCH body: every field given, so every field is replaced. */
export function updateOf(draft: NotesDraft): NotesUpdate {
  return {
    summary: draft.summary.trim(),
    insights: lines(draft.insights),
    action_items: draft.items.map((item) => ({
      text: item.text.trim(),
      owner: item.owner.trim(),
      due_date: item.due || null,
      done: item.done,
    })),
    follow_up_questions: lines(draft.questions),
  };
}

/** Whether the draft says something else than the saved notes. */
export function changed(draft: NotesDraft, saved: SessionNotes | null): boolean {
  return JSON.stringify(updateOf(draft)) !== JSON.stringify(updateOf(draftOf(saved)));
}
