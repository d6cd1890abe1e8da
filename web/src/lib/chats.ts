// Chats: the API's shapes, its calls, and the logic that turns two event streams (the
// reply to what this tab sent, and the chat's live channel) into one list of messages.
// Shapes follow src/cognitia/chats/schemas.py; events follow docs/chats.md and docs/events.md.
import { ApiError, api } from "./api";
import { stream } from "./sse";

// -- shapes --------------------------------------------------------------------------

export type TurnStrategy = "natural" | "list" | "pooled" | "manual";
export type MessageStatus = "complete" | "streaming" | "stopped" | "error";
export type AuthorType = "user" | "character" | "system";

export interface Message {
  id: string;
  chat_id: string;
  seq: number;
  author_type: AuthorType;
  user_id: string | null;
  character_id: string | null;
  name: string;
  content: string;
  status: MessageStatus;
  swipe_index: number;
  swipe_count: number;
  model: string | null;
  error: string | null;
  usage: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface MessagePage {
  items: Message[]; // oldest first
  has_more: boolean;
}

export interface ChatCharacter {
  id: string;
  name: string;
  position: number;
  model: string | null;
  talkativeness: number;
}

export interface Participant {
  user_id: string;
  first_name: string;
  is_owner: boolean;
  last_read_seq: number;
}

export interface Chat {
  id: string;
  owner_id: string;
  title: string;
  strategy: TurnStrategy;
  auto_turns: number;
  persona_id: string | null;
  branched_from_message_id: string | null;
  last_seq: number;
  characters: ChatCharacter[];
  participants: Participant[];
  unread_count: number;
  last_message: Message | null;
  created_at: string;
  updated_at: string;
}

export interface ChatPage {
  items: Chat[]; // most recently active first
  total: number;
  limit: number;
  offset: number;
}

export interface ChatCreate {
  title: string;
  character_ids: string[];
  strategy: TurnStrategy;
  auto_turns: number;
  persona_id: string | null;
}

export interface ChatUpdate {
  title?: string;
  strategy?: TurnStrategy;
  auto_turns?: number;
  persona_id?: string | null;
}

/** What the chat pages need of a character (the API sends much more). */
export interface CharacterSummary {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  visibility: "private" | "unlisted" | "public";
  avatar_url: string | null;
}

interface CharacterPage {
  items: CharacterSummary[];
  total: number;
}

export interface Persona {
  id: string;
  name: string;
  description: string;
  is_default: boolean;
}

export interface StopResult {
  message: Message;
  forwarded: boolean; // stopped by the API process generating it; the end comes as an event
}

export const MAX_AUTO_TURNS = 10;

export const STRATEGIES: { value: TurnStrategy; label: string; hint: string }[] = [
  { value: "natural", label: "Natural", hint: "Characters you name answer first, then others join by talkativeness." },
  { value: "list", label: "In turn", hint: "Every character once, in list order." },
  { value: "pooled", label: "Pooled", hint: "Someone who hasn't spoken since everyone last did." },
  { value: "manual", label: "I choose", hint: "Only the character you pick answers." },
];

export function strategyLabel(strategy: TurnStrategy): string {
  return STRATEGIES.find((s) => s.value === strategy)?.label ?? strategy;
}

/** The chat's title, or its characters' names when it has none. */
export function chatTitle(chat: Chat): string {
  return chat.title || chat.characters.map((c) => c.name).join(", ") || "Untitled chat";
}

/** A time today, else a date: when something was said, in a list. */
export function shortDate(iso: string): string {
  const at = new Date(iso);
  const today = new Date().toDateString() === at.toDateString();
  return today
    ? at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : at.toLocaleDateString([], { day: "numeric", month: "short" });
}

/** The reply being written, if any: the newest message still streaming. */
export function replyInProgress(list: Message[]): Message | undefined {
  for (let i = list.length - 1; i >= 0; i -= 1) if (list[i].status === "streaming") return list[i];
  return undefined;
}

/** What the person may do with this message, decided by the list. */
export interface MessagePermissions {
  edit: boolean;
  delete: boolean;
  /** Regenerate and continue: the chat's last message, a character's, nothing running. */
  rework: boolean;
  /** Something generates in the chat: alternatives and branching wait. */
  busy: boolean;
}

export interface MessageHandlers {
  regenerate: (message: Message) => Promise<void>;
  continueReply: (message: Message) => Promise<void>;
  chooseSwipe: (message: Message, index: number) => Promise<void>;
  edit: (message: Message, content: string) => Promise<void>;
  remove: (message: Message) => Promise<void>;
  branch: (message: Message) => Promise<void>;
}

// -- calls ---------------------------------------------------------------------------

const CHATS = "/api/v2/chats";
const messagesOf = (chatId: string) => `${CHATS}/${chatId}/messages`;

export const chats = {
  list: (offset = 0, limit = 30) => api.get<ChatPage>(CHATS, { limit, offset }),
  get: (chatId: string) => api.get<Chat>(`${CHATS}/${chatId}`),
  create: (data: ChatCreate) => api.post<Chat>(CHATS, data),
  update: (chatId: string, data: ChatUpdate) => api.patch<Chat>(`${CHATS}/${chatId}`, data),
  remove: (chatId: string) => api.delete(`${CHATS}/${chatId}`),
  invite: (chatId: string, userId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/participants`, { user_id: userId }),
  removeParticipant: (chatId: string, userId: string) =>
    api.delete(`${CHATS}/${chatId}/participants/${userId}`),
  addCharacter: (chatId: string, characterId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/characters`, { character_id: characterId }),
  removeCharacter: (chatId: string, characterId: string) =>
    api.delete<Chat>(`${CHATS}/${chatId}/characters/${characterId}`),
  branch: (chatId: string, messageId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/branch`, { message_id: messageId }),
};

export const messages = {
  /** Newest page without a cursor; `before` pages back, `after` catches up. Reading a
   * page moves the caller's read mark to its last message. */
  page: (chatId: string, cursor: { before?: number; after?: number } = {}, limit = 40) =>
    api.get<MessagePage>(messagesOf(chatId), { ...cursor, limit }),
  edit: (chatId: string, messageId: string, content: string) =>
    api.patch<Message>(`${messagesOf(chatId)}/${messageId}`, { content }),
  remove: (chatId: string, messageId: string) => api.delete(`${messagesOf(chatId)}/${messageId}`),
  chooseSwipe: (chatId: string, messageId: string, index: number) =>
    api.put<Message>(`${messagesOf(chatId)}/${messageId}/swipe`, { index }),
  stop: (chatId: string, messageId: string) =>
    api.post<StopResult>(`${messagesOf(chatId)}/${messageId}/stop`),
};

export const characters = {
  mine: () => api.get<CharacterPage>("/api/v2/characters", { limit: 200 }),
  marketplace: (q = "") => api.get<CharacterPage>("/api/v2/characters/marketplace", { q, limit: 50 }),
};

export const personas = {
  list: () => api.get<Persona[]>("/api/v2/personas"),
};

// -- events --------------------------------------------------------------------------

export type ChatEvent =
  | { event: "ready"; data: { chat_id: string } }
  | { event: "message.created" | "message.updated"; data: { message: Message } }
  | { event: "message.completed"; data: { message: Message; usage: Record<string, unknown> } }
  | { event: "token"; data: { message_id: string; text: string } }
  | { event: "sentence"; data: { message_id: string; index: number; text: string } }
  | {
      event: "error";
      data: { message_id: string | null; error: string; detail: string; partial_text: string };
    }
  | { event: "message.deleted"; data: { message_id: string } };

/** Where events come from: each stream (a POST's reply, a live subscription) is one. */
export type StreamOrigin = { readonly name: string };

/** The reactive state a chat page renders; the page owns it ($state), a `Conversation`
 * changes it. */
export interface ConversationState {
  messages: Message[]; // in seq order
  hasOlder: boolean;
  loading: boolean;
  loadingOlder: boolean;
  /** Requests of this tab that generate (send, regenerate, continue) still running. */
  pending: number;
  live: "connecting" | "live" | "reconnecting" | "closed";
}

export function emptyConversation(): ConversationState {
  return { messages: [], hasOlder: false, loading: true, loadingOlder: false, pending: 0, live: "connecting" };
}

const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;
const MARK_READ_DELAY_MS = 400;

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

function time(iso: string): number {
  return Date.parse(iso) || 0;
}

/**
 * One open chat: history, sending and reworking replies, and live events.
 *
 * The person who sends a message gets the reply twice: on the POST's own stream and on the
 * chat's live channel (docs/events.md). Neither can be dropped: the POST stream is the only
 * one when the live channel is down, the live channel the only one for others' messages. So
 * every stream is merged by message id:
 *  - a message event (created, updated, completed) older than what is shown is ignored
 *    (by `updated_at`), so a stream lagging behind cannot roll a message back;
 *  - the first stream to announce a reply (`message.created`) owns it until it completes,
 *    and only the owner's `token`s are appended: both streams carry the same tokens, and
 *    appending both would double the text.
 */
export class Conversation {
  private owners = new Map<string, StreamOrigin>();
  private readonly stopped = new AbortController();
  private readThrough = 0;
  private markTimer: ReturnType<typeof setTimeout> | undefined;
  private firstPage: Promise<void> | null = null;

  constructor(
    readonly chatId: string,
    readonly state: ConversationState,
  ) {}

  /** Leave the chat: abort every stream of this page (replies go on on the server), and
   * move the read mark now if it was about to move. */
  close(): void {
    if (this.markTimer !== undefined) this.markRead();
    this.stopped.abort();
    this.state.live = "closed";
  }

  // -- history ---------------------------------------------------------------------

  loadLatest(): Promise<void> {
    this.firstPage ??= (async () => {
      try {
        const page = await messages.page(this.chatId);
        this.merge(page.items);
        this.state.hasOlder = page.has_more;
        this.noteRead(page.items.at(-1)?.seq ?? 0);
      } finally {
        this.state.loading = false;
      }
    })();
    return this.firstPage;
  }

  async loadOlder(): Promise<void> {
    const oldest = this.state.messages[0];
    if (!oldest || this.state.loadingOlder) return;
    this.state.loadingOlder = true;
    try {
      const page = await messages.page(this.chatId, { before: oldest.seq });
      this.merge(page.items);
      this.state.hasOlder = page.has_more;
    } finally {
      this.state.loadingOlder = false;
    }
  }

  /** After (re)connecting: what was written while nobody listened, and the end of any
   * reply that was still being written when the connection dropped. */
  private async catchUp(): Promise<void> {
    await this.loadLatest().catch(() => {});
    const unfinished = this.state.messages.find((m) => m.status === "streaming" && !this.owners.has(m.id));
    let after = unfinished ? unfinished.seq - 1 : this.lastSeq();
    for (;;) {
      const page = await messages.page(this.chatId, { after });
      this.merge(page.items);
      const last = page.items.at(-1);
      if (!last || !page.has_more) break;
      after = last.seq;
    }
    this.noteRead(this.lastSeq());
  }

  private lastSeq(): number {
    return this.state.messages.at(-1)?.seq ?? 0;
  }

  /** Messages read from the API, merged in: a reply a stream is writing keeps its text. */
  private merge(items: Message[]): void {
    for (const item of items) {
      if (!this.owners.has(item.id)) this.upsert(item);
    }
  }

  // -- what this tab does ------------------------------------------------------------

  /** Send a message; the replies stream into `state`. A turn that failed before any reply
   * started (no model available …) throws, like a refused request. */
  send(content: string, characterId: string | null): Promise<void> {
    const body = characterId ? { content, character_id: characterId } : { content };
    return this.generate(`${messagesOf(this.chatId)}`, body);
  }

  regenerate(messageId: string): Promise<void> {
    return this.generate(`${messagesOf(this.chatId)}/${messageId}/regenerate`);
  }

  continueReply(messageId: string): Promise<void> {
    return this.generate(`${messagesOf(this.chatId)}/${messageId}/continue`);
  }

  async stop(messageId: string): Promise<void> {
    const result = await messages.stop(this.chatId, messageId);
    // Stopped here: the final state is in the answer. Forwarded: it comes as an event.
    if (!result.forwarded) this.finish(result.message);
  }

  async chooseSwipe(message: Message, index: number): Promise<void> {
    this.upsert(await messages.chooseSwipe(this.chatId, message.id, index));
  }

  async edit(messageId: string, content: string): Promise<void> {
    this.upsert(await messages.edit(this.chatId, messageId, content));
  }

  async remove(messageId: string): Promise<void> {
    await messages.remove(this.chatId, messageId);
    this.drop(messageId);
  }

  private async generate(path: string, json?: unknown): Promise<void> {
    const source: StreamOrigin = { name: `request ${path}` };
    const failures: { message_id: string | null; error: string; detail: string }[] = [];
    this.state.pending += 1;
    try {
      await stream(
        "POST",
        path,
        (event) => {
          const chatEvent = event as ChatEvent;
          if (chatEvent.event === "error") failures.push(chatEvent.data);
          this.apply(source, chatEvent);
        },
        { json, signal: this.stopped.signal },
      );
    } catch (error) {
      if (!isAbort(error)) throw error;
    } finally {
      this.state.pending -= 1;
      this.release(source);
    }
    // A failed reply shows its error on its message (status error). A reply that could not
    // even start has no such message: its failure is the request's, like a refused one.
    const unshown = failures.find((f) => !f.message_id || this.find(f.message_id)?.status !== "error");
    if (unshown) throw new ApiError(502, unshown.error, unshown.detail);
  }

  // -- live --------------------------------------------------------------------------

  /** Follow the chat's live channel until `close()`; reconnect with backoff when it
   * drops, and catch up on what was missed from the messages API. */
  async watch(): Promise<void> {
    const signal = this.stopped.signal;
    let delay = RECONNECT_FIRST_MS;
    while (!signal.aborted) {
      const source: StreamOrigin = { name: "live" };
      try {
        await stream(
          "GET",
          `${CHATS}/${this.chatId}/events`,
          (event) => {
            const chatEvent = event as ChatEvent;
            if (chatEvent.event === "ready") {
              this.state.live = "live";
              delay = RECONNECT_FIRST_MS;
              this.catchUp().catch(() => {}); // the next reconnect tries again
            }
            this.apply(source, chatEvent);
          },
          { signal },
        );
      } catch (error) {
        if (isAbort(error)) break;
        // No longer a member, or the chat is gone: retrying would only fail again.
        if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
          this.state.live = "closed";
          return;
        }
      } finally {
        this.release(source);
      }
      if (signal.aborted) break;
      this.state.live = "reconnecting";
      await sleep(delay, signal);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
    this.state.live = "closed";
  }

  // -- merging events ------------------------------------------------------------------

  private apply(source: StreamOrigin, event: ChatEvent): void {
    switch (event.event) {
      case "message.created": {
        const { message } = event.data;
        const owner = this.owners.get(message.id);
        if (owner && owner !== source) return; // the other stream is writing it
        if (!this.upsert(message)) return;
        if (message.status === "streaming") this.owners.set(message.id, source);
        else this.noteLater(message.seq);
        return;
      }
      case "token": {
        const { message_id, text } = event.data;
        const shown = this.find(message_id);
        if (!shown || shown.status !== "streaming") return;
        const owner = this.owners.get(message_id);
        // A reply already streaming when this page opened has no owner yet: the first
        // stream to bring its tokens takes it.
        if (owner && owner !== source) return;
        this.owners.set(message_id, source);
        shown.content += text;
        return;
      }
      case "message.completed":
        this.finish(event.data.message);
        return;
      case "message.updated":
        this.upsert(event.data.message);
        return;
      case "message.deleted":
        this.drop(event.data.message_id);
        return;
      // `sentence` events repeat the tokens' text, whole sentences at a time, for speech;
      // `error` is followed by `message.completed` with the message's `error` set.
      default:
        return;
    }
  }

  private finish(message: Message): void {
    if (!this.upsert(message)) return;
    this.owners.delete(message.id);
    this.noteLater(message.seq);
  }

  /** A stream ended: the replies it was writing are left to the other one, if any. */
  private release(source: StreamOrigin): void {
    for (const [id, owner] of this.owners) if (owner === source) this.owners.delete(id);
  }

  private find(id: string): Message | undefined {
    return this.state.messages.find((m) => m.id === id);
  }

  /** Put the message in its place by seq; false when what is shown is newer. */
  private upsert(message: Message): boolean {
    const list = this.state.messages;
    const at = list.findIndex((m) => m.id === message.id);
    if (at >= 0) {
      if (time(message.updated_at) < time(list[at].updated_at)) return false;
      list[at] = message;
      return true;
    }
    let index = list.length;
    while (index > 0 && list[index - 1].seq > message.seq) index -= 1;
    list.splice(index, 0, message);
    return true;
  }

  private drop(id: string): void {
    const at = this.state.messages.findIndex((m) => m.id === id);
    if (at >= 0) this.state.messages.splice(at, 1);
    this.owners.delete(id);
  }

  // -- the read mark -------------------------------------------------------------------

  private noteRead(seq: number): void {
    this.readThrough = Math.max(this.readThrough, seq);
  }

  /** A message arrived while the chat is open: the person has seen it, so move the read
   * mark (the API moves it when a page is read; there is no separate call). Debounced: a
   * turn of several replies marks once. */
  private noteLater(seq: number): void {
    if (seq <= this.readThrough || this.stopped.signal.aborted) return;
    clearTimeout(this.markTimer);
    this.markTimer = setTimeout(() => this.markRead(), MARK_READ_DELAY_MS);
  }

  private markRead(): void {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    const target = this.lastSeq();
    if (target <= this.readThrough) return;
    // A chat open in a tab in the background has not been read: wait until it is looked at.
    if (document.visibilityState === "hidden") {
      if (this.stopped.signal.aborted) return;
      document.addEventListener("visibilitychange", () => this.markRead(), {
        once: true,
        signal: this.stopped.signal,
      });
      return;
    }
    // A page that ends with the newest message moves the mark to it.
    messages
      .page(this.chatId, { after: target - 1 }, 1)
      .then(() => this.noteRead(target))
      .catch(() => {}); // only the unread badge is at stake; the next message retries
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Whether the person may change (edit) a message: their own, or as the chat's owner a
 * character's. Deleting: the same, and the owner deletes anyone's. */
export function mayEdit(message: Message, chat: Chat, userId: string): boolean {
  if (message.author_type === "user") return message.user_id === userId;
  return chat.owner_id === userId;
}

export function mayDelete(message: Message, chat: Chat, userId: string): boolean {
  return chat.owner_id === userId || (message.author_type === "user" && message.user_id === userId);
}
