// Speaker audio: getUserMedia -> AudioWorklet (public/capture-worklet.js) -> 16 kHz 16-bit mono PCM
// in 100 ms blocks -> `onChunk` with 250 ms (8 000 bytes; ~10.7 KB of base64, well under API
// Gateway's 32 KB frame) at a time. The web-client splits anything larger itself.
const SAMPLES_PER_CHUNK = 4_000;

export class Microphone {
  private context: AudioContext | undefined;
  private stream: MediaStream | undefined;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;

  constructor(private readonly onChunk: (pcm: Int16Array) => void) {}

  get active(): boolean {
    return this.context !== undefined;
  }

  async start(): Promise<void> {
    if (this.context) return;
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
    });
    // a 16 kHz context makes the browser resample; the worklet copes with any rate anyway
    const context = new AudioContext({ sampleRate: 16_000 });
    await context.audioWorklet.addModule("/capture-worklet.js");
    const capture = new AudioWorkletNode(context, "capture");
    capture.port.onmessage = ({ data }: MessageEvent<ArrayBuffer>) => this.collect(new Int16Array(data));
    context.createMediaStreamSource(this.stream).connect(capture);
    this.context = context;
  }

  stop(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    void this.context?.close();
    this.context = undefined;
    this.stream = undefined;
    this.pending = [];
    this.pendingSamples = 0;
  }

  private collect(block: Int16Array): void {
    // the first captured block's time, for test/latency.mjs (capture -> caption at a listener)
    document.body.dataset.firstAudioAt ??= String(Date.now());
    this.pending.push(block);
    this.pendingSamples += block.length;
    if (this.pendingSamples < SAMPLES_PER_CHUNK) return;
    const chunk = new Int16Array(this.pendingSamples);
    let offset = 0;
    for (const part of this.pending) {
      chunk.set(part, offset);
      offset += part.length;
    }
    this.pending = [];
    this.pendingSamples = 0;
    this.onChunk(chunk);
  }
}
