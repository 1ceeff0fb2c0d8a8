// The WebSocketClient's public types, options and limits.
import type { BabelcastError } from "./errors.js";
import type { Language, ServerMessage, ServerMessageMap } from "./generated/messages.js";
import type { AuthProvider, SessionHttpService } from "./http.js";
import type { BackoffConfig, Logger } from "./util.js";

/** The part of the WebSocket API this client uses: browsers' WebSocket and the `ws` package both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // biome-ignore lint/suspicious/noExplicitAny: the event types differ between implementations
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: any) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * API Gateway's limits: a frame is at most 32 KB, header included, and a browser sends each text
 * message as one frame, masked with a 16-bit length: 8 header bytes, so 32 760 bytes of text.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 - 8;
const AUDIO_OVERHEAD = '{"action":"sendAudio","audioData":"","sequence":9007199254740991}'.length;
const AUDIO_BYTES = Math.floor((MAX_MESSAGE_BYTES - AUDIO_OVERHEAD) / 4) * 3;
/** The most PCM bytes one sendAudio message holds (base64 inflates by 4/3; whole 16-bit samples): 24 518. */
export const MAX_AUDIO_BYTES_PER_MESSAGE = AUDIO_BYTES - (AUDIO_BYTES % 2);

export interface ReconnectConfig extends BackoffConfig {
  maxAttempts: number;
}
export const DEFAULT_RECONNECT: ReconnectConfig = {
  maxAttempts: 6,
  initialDelay: 500,
  maxDelay: 10_000,
  backoffMultiplier: 2,
  jitter: 0.2,
};

export interface WebSocketClientOptions {
  /** The WebSocket API's URL (`websocket_url` output; `websocketUrl` in .local/endpoints.json). */
  url: string;
  /** Where there is no global WebSocket (Node 20): e.g. `import WebSocket from "ws"`. */
  WebSocket?: WebSocketConstructor | undefined;
  /** The HTTP API's URL: asked (GET /sessions/{id}) why a connection was refused. */
  httpApiUrl?: string | undefined;
  /** Or a service to ask (the orchestrator passes its own). */
  sessions?: Pick<SessionHttpService, "getSession"> | undefined;
  /** A speaker's tokens: a fresh one on every (re)connection, refreshed once after a refusal for the token. */
  auth?: AuthProvider | undefined;
  /** Default 4 minutes (API Gateway closes idle connections after 10); 0 turns heartbeats off. */
  heartbeatIntervalMs?: number | undefined;
  /** No heartbeatAck within this long: the connection is dead, reconnect (default 30 s). */
  heartbeatTimeoutMs?: number | undefined;
  /** false: never reconnect. */
  reconnect?: Partial<ReconnectConfig> | false | undefined;
  /** How long an opening handshake may take (default 10 s). */
  openTimeoutMs?: number | undefined;
  /** How long getSessionStatus/changeLanguage/createSession wait for their reply (default 10 s). */
  replyTimeoutMs?: number | undefined;
  /** Messages kept while reconnecting, oldest dropped beyond (default 500). */
  maxQueuedMessages?: number | undefined;
  logger?: Logger | undefined;
}

/** Speaker: `{sessionId}` (+ `token` or the client's `auth`); listener: `{sessionId, targetLanguage}`;
 * legacy speaker: `{token}` without sessionId, then `createSession()`. */
export interface ConnectOptions {
  sessionId?: string | undefined;
  token?: string | undefined;
  targetLanguage?: Language | undefined;
}

export type CloseReason = "client" | "sessionEnded" | "refused" | "failed";
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** Every server message by its type, plus the client's own events. */
export interface WebSocketClientEvents extends ServerMessageMap {
  /** Every message the server sends, whatever its type. */
  message: ServerMessage;
  /** Opened: the first time, and after each reconnection (`reconnected: true`). */
  connected: { sessionId: string | undefined; reconnected: boolean };
  /** The connection dropped; attempt `attempt` follows in `delayMs`. */
  reconnecting: { attempt: number; delayMs: number; closeCode: number };
  /** For good: `error` tells why when it was not asked for. */
  closed: { reason: CloseReason; error?: BabelcastError };
}
export type WebSocketClientEvent = keyof WebSocketClientEvents;
