// A call's audio: the microphone as 16 kHz PCM frames (an AudioWorklet, public/pcm-capture-
// worklet.js), and the reply's PCM clauses scheduled back to back, dropped at once on barge-in.
import { audioContext, audioStats } from "./player";

export const CAPTURE_WORKLET = "/pcm-capture-worklet.js";

/** The open microphone: `onframe` gets each 40 ms frame (s16le, 16 kHz) while not muted. */
export class Microphone {
  muted = false;
  private constructor(
    private readonly stream: MediaStream,
    private readonly node: AudioWorkletNode,
  ) {}

  static async open(onframe: (frame: ArrayBuffer) => void): Promise<Microphone> {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
    try {
      const context = audioContext();
      await context.audioWorklet.addModule(CAPTURE_WORKLET);
      const node = new AudioWorkletNode(context, "pcm-capture", { numberOfOutputs: 1 });
      const microphone = new Microphone(stream, node);
      node.port.onmessage = (event: MessageEvent<ArrayBuffer>) => {
        if (microphone.muted) audioStats.micMuted += 1;
        else onframe(event.data);
      };
      context.createMediaStreamSource(stream).connect(node);
      // Connected so the graph pulls it; the worklet writes silence to its output.
      node.connect(context.destination);
      return microphone;
    } catch (err) {
      stream.getTracks().forEach((track) => track.stop());
      throw err;
    }
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.stream.getAudioTracks().forEach((track) => (track.enabled = !muted));
  }

  close(): void {
    this.node.port.onmessage = null;
    this.node.disconnect();
    this.stream.getTracks().forEach((track) => track.stop());
  }
}

/** PCM clauses played back to back; each one's `onstart` runs when it starts sounding. */
export class PcmPlayback {
  private sources = new Set<AudioBufferSourceNode>();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private nextAt = 0;
  /** Everything scheduled has played (or was stopped). */
  onidle: () => void = () => {};

  play(pcm: ArrayBuffer, sampleRate: number, onstart: () => void): void {
    const context = audioContext();
    const samples = new Int16Array(pcm, 0, Math.floor(pcm.byteLength / 2));
    if (samples.length === 0) return;
    audioStats.callFrames += 1;
    audioStats.callBytes += pcm.byteLength;
    const buffer = context.createBuffer(1, samples.length, sampleRate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i += 1) channel[i] = samples[i] / 0x8000;
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    const startAt = Math.max(context.currentTime + 0.02, this.nextAt);
    this.nextAt = startAt + buffer.duration;
    source.onended = () => {
      this.sources.delete(source);
      if (this.sources.size === 0) this.onidle();
    };
    this.sources.add(source);
    source.start(startAt);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      onstart();
    }, (startAt - context.currentTime) * 1000);
    this.timers.add(timer);
  }

  /** A clause without audio (its voice failed): `onstart` when what is queued has played. */
  after(onstart: () => void): void {
    const context = audioContext();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      onstart();
    }, Math.max(0, this.nextAt - context.currentTime) * 1000);
    this.timers.add(timer);
  }

  get playing(): boolean {
    return this.sources.size > 0;
  }

  /** Barge-in: silence now, and nothing queued plays later. */
  stop(): void {
    audioStats.callCut += this.sources.size;
    for (const source of this.sources) source.stop();
    this.sources.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.nextAt = 0;
  }
}
