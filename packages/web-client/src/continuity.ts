// What keeps a stream whole across a dropped connection (docs/websocket-protocol.md): the
// speaker's chunks the server has not acknowledged yet (resent after a drop), and the listener's
// last segment sequence (duplicates dropped, catchUp asked from it after a drop).

import { SERVER_MESSAGE_TYPES, type ServerMessage, type ServerMessageMap } from "./generated/messages.js";
import { bytesToBase64 } from "./util.js";
import { MAX_AUDIO_BYTES_PER_MESSAGE } from "./websocket-types.js";

type SendAudioMessage = { action: "sendAudio"; audioData: string; sequence: number };

const UNACKNOWLEDGED_KEPT = 64; // the server's gap window: an older chunk would be refused anyway

/** Speaker: the chunks sent and not acknowledged (`audioAck`), and when the last ack came. */
export class AudioAcks {
  private unacknowledged: Array<{ sequence: number; text: string }> = [];
  private acknowledgedSequence: number | undefined;
  private acknowledgedAt: number | undefined;

  sent(sequence: number, text: string): void {
    this.unacknowledged.push({ sequence, text });
    if (this.unacknowledged.length > UNACKNOWLEDGED_KEPT) this.unacknowledged.shift();
  }

  acknowledge(sequence: number): void {
    this.acknowledgedSequence = Math.max(sequence, this.acknowledgedSequence ?? -1);
    this.acknowledgedAt = Date.now();
    this.unacknowledged = this.unacknowledged.filter((chunk) => chunk.sequence > sequence);
  }

  /** The messages to send again after a drop, in order, leaving out those still queued. */
  toResend(queued: ReadonlySet<string>): string[] {
    return this.unacknowledged.map((chunk) => chunk.text).filter((text) => !queued.has(text));
  }

  get acknowledged(): number | undefined {
    return this.acknowledgedSequence;
  }

  /** An `audioAck` came within the last 2 s (they come once a second while audio flows). */
  get arriving(): boolean {
    return this.acknowledgedAt !== undefined && Date.now() - this.acknowledgedAt < 2000;
  }
}

/** Listener: the highest segment `sequence` seen in its language, and when it first connected. */
export class SegmentCursor {
  private segmentSequence: number | undefined;
  private firstOpenAt: number | undefined;

  opened(): void {
    this.firstOpenAt = Date.now();
  }

  /** Sequences are per language: a language change starts again. */
  reset(): void {
    this.segmentSequence = undefined;
  }

  get last(): number | undefined {
    return this.segmentSequence;
  }

  /** Whether a segment is new; one whose sequence was seen (live and replayed, or sent again) is not. */
  firstSight(segment: { sequence?: unknown }): boolean {
    const { sequence } = segment;
    if (typeof sequence !== "number") return true;
    if (this.segmentSequence !== undefined && sequence <= this.segmentSequence) return false;
    this.segmentSequence = sequence;
    return true;
  }

  /** What to ask `catchUp` for after a drop: after the last segment, else all since the first connection. */
  catchUpFrom(): { afterSequence: number } | { seconds: number } {
    if (this.segmentSequence !== undefined) return { afterSequence: this.segmentSequence };
    const since = Math.ceil((Date.now() - (this.firstOpenAt ?? Date.now())) / 1000);
    return { seconds: Math.min(3600, Math.max(1, since)) };
  }
}

/**
 * PCM 16-bit mono audio as `sendAudio` messages of at most 32 KB each (one WebSocket frame, the
 * gateway's limit), numbered from `sequence`.
 */
export function audioMessages(pcm: Int16Array | ArrayBuffer, sequence: number): SendAudioMessage[] {
  const bytes =
    pcm instanceof ArrayBuffer ? new Uint8Array(pcm) : new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  if (bytes.length === 0) throw new RangeError("An audio chunk cannot be empty.");
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError("sequence is an integer >= 0.");
  const messages: SendAudioMessage[] = [];
  for (let offset = 0; offset < bytes.length; offset += MAX_AUDIO_BYTES_PER_MESSAGE) {
    const audioData = bytesToBase64(bytes.subarray(offset, offset + MAX_AUDIO_BYTES_PER_MESSAGE));
    messages.push({ action: "sendAudio", audioData, sequence: sequence + messages.length });
  }
  return messages;
}

/**
 * A frame as the server's message and its event type (`translation` for a pipeline segment, which
 * has no type of ours); undefined when it is not a JSON object.
 */
export function decodeServerMessage(
  data: unknown,
): [keyof ServerMessageMap | "translation", ServerMessage] | undefined {
  let message: unknown;
  try {
    message = JSON.parse(typeof data === "string" ? data : String(data));
  } catch {
    return undefined;
  }
  if (typeof message !== "object" || message === null) return undefined;
  const known = (SERVER_MESSAGE_TYPES as readonly string[]).includes((message as { type?: string }).type ?? "");
  const type = known ? (message as { type: keyof ServerMessageMap }).type : "translation";
  return [type, message as ServerMessage];
}
