// The microphone on the audio thread: mono Float32 at the context's rate in, 16 kHz 16-bit PCM out,
// posted to the page every 100 ms (1600 samples). The page asks for a 16 kHz context, so the ratio is
// usually 1; otherwise samples are linearly interpolated down (speech needs nothing finer).
const OUTPUT_RATE = 16000;
const BLOCK = 1600;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUTPUT_RATE;
    this.position = 0;
    this.block = new Int16Array(BLOCK);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    let position = this.position;
    while (position < channel.length) {
      const index = Math.floor(position);
      const next = index + 1 < channel.length ? channel[index + 1] : channel[index];
      const sample = channel[index] + (next - channel[index]) * (position - index);
      this.block[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(sample * 32767)));
      if (this.filled === BLOCK) {
        this.port.postMessage(this.block.buffer, [this.block.buffer]);
        this.block = new Int16Array(BLOCK);
        this.filled = 0;
      }
      position += this.step;
    }
    this.position = position - channel.length;
    return true;
  }
}

registerProcessor("capture", Capture);
