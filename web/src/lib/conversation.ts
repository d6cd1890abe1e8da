// A chat's messages as one list, kept current from two event streams: the reply to what
// this tab sent (a POST answered with SSE) and the chat's live channel (other people, other
// tabs). Events follow docs/chats.md and docs/events.md.
import { ApiError, type Schema } from "./api";
import { CHATS, messages, messagesOf, type Message } from "./chats";
import { stream } from "./sse";
import { tools } from "./tools";

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
  | { event: "message.deleted"; data: { message_id: string } }
  | { event: "audio"; data: SpokenSentence }
  | { event: "audio.error"; data: { message_id: string; index: number | null; error: string; detail: string } }
  | { event: "tool.call"; data: ToolEventData }
  | { event: "tool.approval"; data: ToolEventData & { expires_at: string } }
  | { event: "tool.result"; data: ToolEventData & { result: string; ok: boolean; limit?: Record<string, unknown> } };

/** What every tool event says (docs/tools.md): the reply, the call's id and its tool. */
interface ToolEventData {
  message_id: string;
  id: string;
  name: string;
  arguments?: string;
}

/** One sentence of a reply, spoken (docs/voice.md, "Spoken replies"). */
export interface SpokenSentence {
  message_id: string;
  index: number;
  text: string;
  voice: string;
  format: string;
  media_type: string;
  sample_rate: number;
  duration_s: number;
  audio_base64: string;
}

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
  private heard = new Set<string>();
  /** Ask for replies spoken ("speak": true) when this tab sends or reworks. */
  speak = false;
  /** Each spoken sentence once, whichever stream brought it first. */
  onaudio: (sentence: SpokenSentence) => void = () => {};

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
    await this.showWaitingTools();
  }

  /** Calls that asked for approval before this page listened (opened or reconnected
   * meanwhile): their `tool.approval` went by, so they are read from the API. */
  private async showWaitingTools(): Promise<void> {
    const waiting = await tools.waiting(this.chatId).catch(() => null);
    for (const call of waiting?.items ?? []) {
      this.noteTool({ event: "tool.approval", data: call });
    }
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
    const body: Schema<"MessageCreate"> = characterId ? { content, character_id: characterId } : { content };
    if (this.speak) body.speak = true;
    return this.generate(`${messagesOf(this.chatId)}`, body);
  }

  /** Send through another route that answers with the chat's events (a coaching session's
   * turns, which refuse a session that has ended): merged as any reply. */
  sendVia(path: string, body: unknown): Promise<void> {
    return this.generate(path, body);
  }

  regenerate(messageId: string): Promise<void> {
    return this.generate(`${messagesOf(this.chatId)}/${messageId}/regenerate`, this.speakBody());
  }

  continueReply(messageId: string): Promise<void> {
    return this.generate(`${messagesOf(this.chatId)}/${messageId}/continue`, this.speakBody());
  }

  private speakBody(): Schema<"ReplyOptions"> | undefined {
    return this.speak ? { speak: true } : undefined;
  }

  async stop(messageId: string): Promise<void> {
    const result = await messages.stop(this.chatId, messageId);
    // Stopped here: the final state is in the answer. Forwarded: it comes as an event.
    if (!result.forwarded) this.finish(result.message);
  }

  /** A member's decision on a call waiting for approval; the call's result comes as an
   * event. A call decided meanwhile (409) is no longer waiting here either. */
  async decideTool(messageId: string, callId: string, approve: boolean): Promise<void> {
    const call = this.find(messageId)?.tool_calls?.find((c) => c.id === callId);
    try {
      await tools.decide(this.chatId, callId, approve);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
    if (call) call.awaiting = false;
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
      case "audio": {
        // Both streams carry the same audio: play each sentence once.
        const key = `${event.data.message_id}:${event.data.index}`;
        if (this.heard.has(key)) return;
        this.heard.add(key);
        this.onaudio(event.data);
        return;
      }
      case "tool.call":
      case "tool.approval":
      case "tool.result":
        this.noteTool(event);
        return;
      // `sentence` events repeat the tokens' text, whole sentences at a time, for speech;
      // `error` is followed by `message.completed` with the message's `error` set.
      default:
        return;
    }
  }

  /** A reply's call as it happens, shown on the reply until its stored calls replace it.
   * Both streams bring the same events: each call is kept once, by its id. */
  private noteTool(event: Extract<ChatEvent, { event: "tool.call" | "tool.approval" | "tool.result" }>): void {
    const shown = this.find(event.data.message_id);
    if (!shown || shown.status !== "streaming") return;
    const calls = (shown.tool_calls ??= []);
    let call = calls.find((c) => c.id === event.data.id);
    if (!call) {
      call = { id: event.data.id, name: event.data.name, arguments: event.data.arguments ?? "" };
      calls.push(call);
      call = calls[calls.length - 1]; // the reactive copy
    }
    if (event.event === "tool.approval" && call.result === undefined) call.awaiting = true;
    if (event.event === "tool.result") {
      call.awaiting = false;
      call.result = event.data.result;
      call.ok = event.data.ok;
      if (event.data.limit) call.limit = event.data.limit;
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

