// Playing audio files (WAV from the API) one after another through Web Audio, so a reply's
// sentences play in order as they arrive and a stop silences them at once.

/** What this page has played, for people debugging audio (and the browser tests). */
export const audioStats = {
  decoded: 0,
  bytes: 0,
  played: 0,
  callFrames: 0,
  callBytes: 0,
  callCut: 0,
  /** Microphone frames of a call kept back while muted. */
  micMuted: 0,
};
(globalThis as { cognitiaAudio?: typeof audioStats }).cognitiaAudio = audioStats;

let shared: AudioContext | null = null;

/** One AudioContext for the page, resumed when used (autoplay rules allow it after a click). */
export function audioContext(): AudioContext {
  shared ??= new AudioContext();
  if (shared.state === "suspended") shared.resume().catch(() => {});
  return shared;
}

export function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/** A queue of audio files played back to back. Files are decoded as they are added and
 * played in the order they were added. */
export class AudioQueue {
  private chain: Promise<void> = Promise.resolve();
  private sources = new Set<AudioBufferSourceNode>();
  private generation = 0;
  /** Called with true when something starts playing, false when the queue runs dry. */
  onplaying: (playing: boolean) => void = () => {};
  private queued = 0;

  add(file: ArrayBuffer): void {
    const generation = this.generation;
    const decoded = audioContext()
      .decodeAudioData(file.slice(0))
      .then((buffer) => {
        audioStats.decoded += 1;
        audioStats.bytes += file.byteLength;
        return buffer;
      });
    this.queued += 1;
    this.chain = this.chain
      .then(async () => {
        const buffer = await decoded;
        if (generation === this.generation) await this.play(buffer);
      })
      .catch(() => {}) // one file that cannot be decoded does not stop the others
      .finally(() => {
        this.queued -= 1;
        if (this.queued === 0 && generation === this.generation) this.onplaying(false);
      });
  }

  /** Silence now and drop what is queued. */
  stop(): void {
    this.generation += 1;
    for (const source of this.sources) source.stop();
    this.sources.clear();
    this.onplaying(false);
  }

  private play(buffer: AudioBuffer): Promise<void> {
    const context = audioContext();
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    this.sources.add(source);
    this.onplaying(true);
    audioStats.played += 1;
    return new Promise((resolve) => {
      source.onended = () => {
        this.sources.delete(source);
        resolve();
      };
      source.start();
    });
  }
}
