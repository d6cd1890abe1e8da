// A live call over WebSocket /api/v2/chats/{id}/call (the protocol: docs/voice.md, "Live
// calls"). The browser sends the microphone as 16 kHz PCM frames once the server is ready,
// and plays each reply clause (a caption, then its PCM) as it comes; when the person starts
// speaking over a reply (speech.started) or the reply is interrupted, the playback stops at
// once and what was queued is dropped.
import { auth } from "../auth";
import { tokens } from "../tokens";
import { Microphone, PcmPlayback } from "./pcm";

export type CallPhase = "connecting" | "listening" | "hearing" | "thinking" | "speaking" | "ended";

export interface CallLine {
  id: string;
  who: "you" | "them";
  name: string;
  text: string;
}

/** What the call view shows; the view owns it ($state), a `Call` changes it. */
export interface CallState {
  phase: CallPhase;
  muted: boolean;
  lines: CallLine[];
  /** The caption being spoken now. */
  caption: string;
  error: string | null;
  /** The server's code for `error` (a refusal by the plan is shown as one). */
  errorCode: string | null;
  /** The error frame's other fields: a refusal's `limit`, `reset_at`, `upgrade_to`... */
  errorFields: Record<string, unknown>;
  ended: string | null;
}

export function newCallState(): CallState {
  return {
    phase: "connecting",
    muted: false,
    lines: [],
    caption: "",
    error: null,
    errorCode: null,
    errorFields: {},
    ended: null,
  };
}

type ServerEvent =
  | { type: "ready"; call_id: string; sample_rate: number; voice: { name: string; sample_rate: number | null } }
  | { type: "speech.started" | "speech.stopped" }
  | { type: "transcript"; message_id: string | null; text: string }
  | { type: "reply.started"; message_id: string; character_id: string; character_name: string }
  | { type: "caption"; message_id: string | null; index: number; text: string; sample_rate: number; bytes: number }
  | { type: "reply.done" | "interrupted"; message_id: string; text: string }
  | ({ type: "error"; code: string; detail: string } & RefusalFields);

/** What an error frame of a refusal carries, as its HTTP refusal does (docs/plans.md). */
interface RefusalFields {
  limit?: string | number;
  reset_at?: string;
  retry_after?: number;
  upgrade_to?: string;
  feature?: string;
  model?: string;
}

const CLOSE_REASONS: Record<number, string> = {
  1000: "The call ended.",
  1001: "The server is restarting: call again in a moment.",
  1012: "The server is restarting: call again in a moment.",
  1011: "The call failed on the server.",
  4401: "You are not signed in.",
  4403: "Live calls are not in your plan.",
  4404: "This chat was not found.",
  4422: "The call could not start.",
  4429: "Too many calls at once: try again later.",
  4503: "Voice is not available on this server.",
};

export function callUrl(chatId: string): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/api/v2/chats/${encodeURIComponent(chatId)}/call`;
}

export class Call {
  private socket: WebSocket | null = null;
  private microphone: Microphone | null = null;
  private readonly playback = new PcmPlayback();
  /** The caption whose audio is the next binary frame. */
  private pendingCaption: Extract<ServerEvent, { type: "caption" }> | null = null;
  private speaker = "";
  /** Replies done whose text shows only if none of it was heard (their voice failed):
   * their audio may still follow `reply.done`, so this waits for the next turn. */
  private unspoken = new Map<string, string>();
  private lastError: string | null = null;
  /** Hung up or closed: a microphone that finishes opening after that is closed at once. */
  private over = false;

  constructor(
    private readonly chatId: string,
    private readonly state: CallState,
    private readonly characterId: string | null = null,
  ) {
    this.playback.onidle = () => {
      if (this.state.phase === "speaking") this.state.phase = "listening";
    };
  }

  async start(): Promise<void> {
    // A fresh access token: the socket cannot refresh one by itself.
    await auth.me();
    const socket = new WebSocket(callUrl(this.chatId));
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      const start: Record<string, string> = { type: "start", token: tokens.get()?.access_token ?? "" };
      if (this.characterId) start.character_id = this.characterId;
      socket.send(JSON.stringify(start));
    };
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (typeof event.data === "string") this.onEvent(JSON.parse(event.data) as ServerEvent);
      else this.onAudio(event.data);
    };
    socket.onclose = (event) => this.ended(event.code);
  }

  setMuted(muted: boolean): void {
    this.state.muted = muted;
    this.microphone?.setMuted(muted);
    this.sendJson({ type: muted ? "mute" : "unmute" });
  }

  /** Stop the reply now (the "stop" button): the same as speaking over it. */
  interrupt(): void {
    this.playback.stop();
    this.state.caption = "";
    this.sendJson({ type: "interrupt" });
  }

  hangUp(): void {
    this.sendJson({ type: "hangup" });
    this.release();
    if (this.socket && this.socket.readyState === WebSocket.CONNECTING) this.socket.close();
  }

  /** Leaving the page: no goodbye is awaited. */
  close(): void {
    this.hangUp();
    this.socket?.close();
  }

  private sendJson(frame: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private async onReady(): Promise<void> {
    this.state.phase = "listening";
    try {
      const microphone = await Microphone.open((frame) => {
        if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame);
      });
      if (this.over) {
        microphone.close();
        return;
      }
      this.microphone = microphone;
      microphone.setMuted(this.state.muted);
    } catch (err) {
      this.state.error = `The microphone could not be opened: ${err instanceof Error ? err.message : err}`;
      this.state.errorCode = null;
      this.state.errorFields = {};
      this.hangUp();
    }
  }

  private onEvent(event: ServerEvent): void {
    if (event.type === "speech.started" || event.type === "reply.started") this.showUnspoken();
    switch (event.type) {
      case "ready":
        this.onReady();
        return;
      case "speech.started":
        this.bargeIn();
        this.state.error = this.state.errorCode = null; // a failure of the turn before is over
        this.state.errorFields = {};
        this.state.phase = "hearing";
        return;
      case "speech.stopped":
        this.state.phase = "thinking";
        return;
      case "transcript":
        if (event.text) this.addLine(event.message_id ?? `you-${this.state.lines.length}`, "you", "You", event.text);
        else this.state.phase = "listening";
        return;
      case "reply.started":
        this.speaker = event.character_name;
        this.addLine(event.message_id, "them", event.character_name, "");
        return;
      case "caption":
        // bytes 0: text only, no audio frame follows (the voice failed; the text goes on).
        if (event.bytes > 0) this.pendingCaption = event;
        else this.playback.after(() => this.heard(event));
        return;
      case "interrupted":
        this.bargeIn();
        this.finishLine(event.message_id, event.text);
        this.state.phase = "listening";
        return;
      case "reply.done":
        // The captions fill the line as they are heard.
        this.unspoken.set(event.message_id, event.text);
        if (!this.playback.playing) this.state.phase = "listening";
        return;
      case "error": {
        const { type: _type, code, detail, ...fields } = event;
        this.lastError = detail;
        this.state.error = detail;
        this.state.errorCode = code;
        this.state.errorFields = fields;
        return;
      }
    }
  }

  private onAudio(pcm: ArrayBuffer): void {
    const caption = this.pendingCaption;
    this.pendingCaption = null;
    if (!caption) return; // audio without its caption: not this protocol; ignored
    this.playback.play(pcm, caption.sample_rate, () => this.heard(caption));
  }

  /** A clause starts sounding (or, without audio, would): its caption shows. */
  private heard(caption: Extract<ServerEvent, { type: "caption" }>): void {
    this.state.phase = "speaking";
    this.state.caption = caption.text;
    const line = this.state.lines.find((l) => l.id === caption.message_id);
    if (line) line.text = line.text ? `${line.text} ${caption.text}` : caption.text;
    else this.addLine(caption.message_id ?? `them-${this.state.lines.length}`, "them", this.speaker, caption.text);
  }

  private bargeIn(): void {
    this.playback.stop();
    this.pendingCaption = null;
    this.state.caption = "";
  }

  private addLine(id: string, who: CallLine["who"], name: string, text: string): void {
    if (this.state.lines.some((l) => l.id === id)) return;
    this.state.lines.push({ id, who, name, text });
  }

  /** The stored text of a reply (what was kept when interrupted). */
  private finishLine(id: string, text: string): void {
    const line = this.state.lines.find((l) => l.id === id);
    if (line && text) line.text = text;
  }

  private showUnspoken(): void {
    for (const [id, text] of this.unspoken) {
      if (!this.state.lines.find((l) => l.id === id)?.text) this.finishLine(id, text);
    }
    this.unspoken.clear();
  }

  private release(): void {
    this.over = true;
    this.microphone?.close();
    this.microphone = null;
    this.playback.stop();
  }

  private ended(code: number): void {
    this.release();
    this.showUnspoken();
    this.state.phase = "ended";
    this.state.caption = "";
    this.state.ended = code === 1000 || !this.lastError ? (CLOSE_REASONS[code] ?? `The call ended (${code}).`) : this.lastError;
  }
}
