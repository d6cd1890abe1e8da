// The microphone, in the audio thread, as the call protocol wants it
// (docs/voice.md, "Live calls"): 16 kHz mono signed 16-bit PCM, 40 ms per frame.
// Each output sample is the mean of the input samples it covers: a box filter that keeps
// the worst aliasing out of speech when 44.1 or 48 kHz is taken down to 16 kHz.
const TARGET_RATE = 16000;
const FRAME_SAMPLES = 640; // 40 ms at 16 kHz

class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE;
    this.phase = 0;
    this.sum = 0;
    this.count = 0;
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i += 1) {
      this.sum += channel[i];
      this.count += 1;
      this.phase += 1;
      if (this.phase < this.step) continue;
      this.phase -= this.step;
      this.push(this.sum / this.count);
      this.sum = 0;
      this.count = 0;
    }
    return true;
  }

  push(sample) {
    const clipped = Math.max(-1, Math.min(1, sample));
    this.frame[this.filled] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
    this.filled += 1;
    if (this.filled < FRAME_SAMPLES) return;
    this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
  }
}

registerProcessor("pcm-capture", PcmCapture);
