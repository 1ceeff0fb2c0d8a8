// Listener audio: each segment's 16-bit PCM is scheduled right after the previous one on one
// AudioContext timeline, so consecutive segments play without gaps (a late segment starts 50 ms
// after it arrives). `onPlayed` reports the seconds actually played (each source's `ended`).
const LEAD_SECONDS = 0.05;

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export class PcmPlayer {
  private context: AudioContext | undefined;
  private next = 0;
  private played = 0;

  constructor(private readonly onPlayed: (seconds: number) => void) {}

  /** Browsers start audio only after a user gesture: call from a click (Join, Enable sound). */
  async unlock(): Promise<boolean> {
    const context = this.ensure();
    if (context.state !== "running") await context.resume().catch(() => undefined);
    return context.state === "running";
  }

  play(base64: string, sampleRate = 16_000): void {
    const bytes = base64ToBytes(base64);
    const samples = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
    if (samples.length === 0) return;
    const context = this.ensure();
    const buffer = context.createBuffer(1, samples.length, sampleRate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = (samples[i] ?? 0) / 32768;
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    const start = Math.max(context.currentTime + LEAD_SECONDS, this.next);
    source.start(start);
    this.next = start + buffer.duration;
    source.addEventListener("ended", () => {
      this.played += buffer.duration;
      this.onPlayed(this.played);
    });
  }

  /** Drop what is scheduled (a language change: the old language must not keep playing). */
  reset(): void {
    void this.context?.close();
    this.context = undefined;
    this.next = 0;
  }

  private ensure(): AudioContext {
    this.context ??= new AudioContext();
    return this.context;
  }
}
