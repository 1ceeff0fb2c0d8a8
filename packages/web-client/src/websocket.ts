// WebSocketClient: one connection to one session (docs/websocket-protocol.md, docs/asyncapi.yaml). Heartbeats
// on a timer, reconnects with backoff and the same sessionId (also on connectionRefreshRequired), stops for good
// on sessionEnded or a permanent refusal, and learns why a connection was refused even in a browser (only 1006).
import { AudioAcks, audioMessages, decodeServerMessage, SegmentCursor } from "./continuity.js";
import { type BabelcastError, type ConnectionRefusedError, WebSocketError } from "./errors.js";
import { EventHub, type Handler } from "./events.js";
import {
  type ClientMessage,
  LANGUAGES,
  type Language,
  type ListenerStatusMessage,
  type ServerMessage,
  type Session,
  type SessionCreatedMessage,
  type SessionStatusMessage,
} from "./generated/messages.js";
import { HeartbeatTimer } from "./heartbeat.js";
import { type AuthProvider, type SessionConfig, SessionHttpService } from "./http.js";
import {
  explainRefusal,
  type Failure,
  isFinal,
  mayBeTheToken,
  unsupportedLanguage,
  validateConnect,
} from "./refusal.js";
import { ReplyRegistry } from "./replies.js";
import { backoffDelay, type Logger, silentLogger, wakeableDelay, withQuery } from "./util.js";
import {
  type CloseReason,
  type ConnectionState,
  type ConnectOptions,
  DEFAULT_RECONNECT,
  MAX_MESSAGE_BYTES,
  type ReconnectConfig,
  type WebSocketClientEvent,
  type WebSocketClientOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./websocket-types.js";

const OPEN = 1;

export class WebSocketClient {
  readonly url: string;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly sessions: Pick<SessionHttpService, "getSession"> | undefined;
  private readonly auth: AuthProvider | undefined;
  private readonly reconnectConfig: ReconnectConfig | undefined;
  private readonly openTimeoutMs: number;
  private readonly maxQueued: number;
  private readonly logger: Logger;

  private params: ConnectOptions = {};
  private socket: WebSocketLike | undefined;
  private readonly live = new Set<WebSocketLike>();
  private currentState: ConnectionState = "idle";
  private readonly events: EventHub;
  private readonly replies: ReplyRegistry;
  private readonly heartbeats: HeartbeatTimer;
  private queue: string[] = [];
  private wake: (() => void) | undefined;
  private refreshing = false;
  private forceTokenRefresh = false;
  /** sendAudio messages not yet covered by an audioAck (at most 64, the server's gap window). */
  private readonly acks = new AudioAcks();
  /** Listener: the highest segment sequence seen in its language (catchUp after a drop). */
  private readonly segments = new SegmentCursor();

  constructor(options: WebSocketClientOptions) {
    this.url = options.url;
    const implementation = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!implementation) {
      throw new TypeError('No global WebSocket here (Node 20): pass one, e.g. `WebSocket` from the "ws" package.');
    }
    this.WebSocketImpl = implementation;
    this.sessions =
      options.sessions ??
      (options.httpApiUrl
        ? new SessionHttpService({
            apiBaseUrl: options.httpApiUrl,
            retry: { maxRetries: 0 },
            timeoutMs: 5000,
            logger: silentLogger,
          })
        : undefined);
    this.auth = options.auth;
    this.heartbeats = new HeartbeatTimer(options.heartbeatIntervalMs ?? 240_000, options.heartbeatTimeoutMs ?? 30_000);
    this.reconnectConfig = options.reconnect === false ? undefined : { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.openTimeoutMs = options.openTimeoutMs ?? 10_000;
    this.replies = new ReplyRegistry(options.replyTimeoutMs ?? 10_000);
    this.maxQueued = options.maxQueuedMessages ?? 500;
    this.logger = options.logger ?? console;
    this.events = new EventHub(this.logger);
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The session this connection belongs to (set by connect, or by a legacy createSession). */
  get sessionId(): string | undefined {
    return this.params.sessionId;
  }

  get role(): "speaker" | "listener" {
    return this.params.targetLanguage ? "listener" : "speaker";
  }

  // --- events ------------------------------------------------------------------------------------

  /** Calls `handler` for each `type` event; returns a function that removes it. */
  on<K extends WebSocketClientEvent>(type: K, handler: Handler<K>): () => void {
    this.events.add(type, handler);
    return () => this.off(type, handler);
  }

  off<K extends WebSocketClientEvent>(type: K, handler: Handler<K>): void {
    this.events.remove(type, handler);
  }

  // --- lifecycle ---------------------------------------------------------------------------------

  /** Opens the connection; resolves once it is open, rejects with a ConnectionRefusedError saying why not. */
  async connect(options: ConnectOptions): Promise<void> {
    if (this.currentState !== "idle" && this.currentState !== "closed") {
      throw new WebSocketError({ kind: "conflict", userMessage: "This client is already connected." });
    }
    validateConnect(options, this.auth !== undefined);
    this.params = { ...options };
    this.currentState = "connecting";
    let socket: WebSocketLike;
    try {
      try {
        socket = await this.open();
      } catch (error) {
        // the token may have expired between reading and use: refresh once (a second refusal is final);
        // a browser only sees 1006, so a speaker refused while its session is live counts too
        if (!(this.auth && mayBeTheToken(error))) throw error;
        this.forceTokenRefresh = true;
        socket = await this.open();
      }
    } catch (error) {
      this.currentState = "closed";
      this.queue = [];
      throw error;
    }
    if (this.currentState !== "connecting") {
      // close() was called while the handshake was under way
      this.live.delete(socket);
      socket.close(1000, "client closed");
      throw new WebSocketError({ kind: "closed", userMessage: "The connection was closed while it was opening." });
    }
    this.segments.opened();
    this.adopt(socket, false);
  }

  /** Closes the connection for good (the session goes on: end it with deleteSession). */
  close(): void {
    if (this.currentState === "closed" || this.currentState === "idle") return;
    this.finish("client");
  }

  // --- sending -----------------------------------------------------------------------------------

  /**
   * Sends PCM 16-bit mono audio (16 kHz unless the session says otherwise) as base64 `sendAudio`
   * messages of at most 32 KB each, numbered from `sequence`. Returns the next sequence number.
   */
  sendAudio(pcm: Int16Array | ArrayBuffer, sequence: number): number {
    const messages = audioMessages(pcm, sequence);
    for (const message of messages) {
      this.send(message);
      this.acks.sent(message.sequence, JSON.stringify(message));
    }
    return sequence + messages.length;
  }

  /** Speaker: the highest sequence the server acknowledged (`audioAck`), if any yet. */
  get acknowledged(): number | undefined {
    return this.acks.acknowledged;
  }

  /** Speaker: "audio arriving": an `audioAck` came within the last 2 s (they come once a second). */
  get audioArriving(): boolean {
    return this.acks.arriving;
  }

  heartbeat(): void {
    this.send({ action: "heartbeat" });
  }

  /** Speaker: pause the broadcast (audio sent meanwhile is buffered, up to 30 s); everyone gets sessionPaused. */
  pause(): void {
    this.send({ action: "pauseBroadcast" });
  }

  /** Speaker: resume; buffered audio goes out first, then everyone gets sessionResumed. */
  resume(): void {
    this.send({ action: "resumeBroadcast" });
  }

  /** Listener: switch language (later reconnections use it too). Resolves with the server's reply. */
  async changeLanguage(targetLanguage: Language): Promise<ListenerStatusMessage> {
    if (!LANGUAGES.includes(targetLanguage)) throw unsupportedLanguage(targetLanguage);
    const reply = await this.request(
      { action: "changeLanguage", targetLanguage },
      (m): m is ListenerStatusMessage => m.type === "sessionStatus" && "targetLanguage" in m,
    );
    this.params.targetLanguage = targetLanguage;
    this.segments.reset(); // sequences are per language
    return reply;
  }

  /** Listener: the highest segment `sequence` seen (in its language), if any yet. */
  get lastSequence(): number | undefined {
    return this.segments.last;
  }

  /**
   * Listener: replay the kept segments after `afterSequence`, or of the last `seconds` (a late
   * join); they arrive as `translation` events with `replayed: true`, then `catchUpComplete`.
   * Reconnections after a drop do this by themselves.
   */
  catchUp(options: { afterSequence: number } | { seconds: number }): void {
    this.send({ action: "catchUp", ...options });
  }

  /** The session's metadata, as the server sees it now. */
  getSessionStatus(): Promise<SessionStatusMessage> {
    return this.request(
      { action: "getSessionStatus" },
      (m): m is SessionStatusMessage => m.type === "sessionStatus" && "session" in m,
    );
  }

  /** Legacy flow: on a connection opened without sessionId, create the session over the socket. */
  async createSession(config: SessionConfig): Promise<Session> {
    if (this.params.sessionId)
      throw new WebSocketError({ kind: "conflict", userMessage: "This connection already has a session." });
    const reply = await this.request(
      { action: "createSession", sourceLanguage: config.sourceLanguage, qualityTier: config.qualityTier ?? "standard" },
      (m): m is SessionCreatedMessage => m.type === "sessionCreated",
    );
    this.params.sessionId = reply.sessionId; // reconnections now join this session
    return reply.session;
  }

  private request<T extends ServerMessage>(message: ClientMessage, accept: (m: ServerMessage) => m is T): Promise<T> {
    return this.replies.request(message, accept, (m) => this.send(m));
  }

  /** Sends now when open; queued while (re)connecting; refused when closed. */
  private send(message: ClientMessage): void {
    const text = JSON.stringify(message);
    if (text.length > MAX_MESSAGE_BYTES / 4 && new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) {
      throw new WebSocketError({ kind: "tooLarge", userMessage: "The message is over 32 KB." });
    }
    const socket = this.socket;
    if (this.currentState === "open" && socket?.readyState === OPEN) {
      socket.send(text);
      return;
    }
    if (this.currentState === "connecting" || this.currentState === "reconnecting" || this.currentState === "open") {
      if (this.queue.length >= this.maxQueued) {
        this.queue.shift();
        this.logger.warn("[babelcast] the send queue is full while reconnecting: dropped the oldest message");
      }
      this.queue.push(text);
      return;
    }
    throw new WebSocketError({ kind: "closed", userMessage: "Not connected: connect first." });
  }

  // --- connections -------------------------------------------------------------------------------

  /** One opening handshake; rejects with the refusal's reason. */
  private async open(): Promise<WebSocketLike> {
    const { url, token } = await this.connectUrl();
    const failure = await new Promise<WebSocketLike | Failure>((resolve) => {
      let detail = "";
      let settled = false;
      let socket: WebSocketLike;
      try {
        socket = new this.WebSocketImpl(url);
      } catch (error) {
        resolve({ closeCode: 1006, detail: String(error), timedOut: false });
        return;
      }
      const settle = (value: WebSocketLike | Failure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        settle({ closeCode: 1006, detail: "", timedOut: true });
        socket.close();
      }, this.openTimeoutMs);
      socket.addEventListener("open", () => {
        if (settled) {
          socket.close(1000, "opened too late"); // after the timeout: nobody uses it
          return;
        }
        this.live.add(socket);
        settle(socket);
      });
      socket.addEventListener("error", (event: { message?: unknown }) => {
        if (typeof event?.message === "string") detail = event.message; // the `ws` package says why
      });
      socket.addEventListener("close", (event: { code?: number }) => {
        const wasLive = this.live.delete(socket);
        if (!settled) settle({ closeCode: event?.code ?? 1006, detail, timedOut: false });
        else if (wasLive && socket === this.socket) this.dropped(event?.code ?? 1006);
      });
      socket.addEventListener("message", (event: { data?: unknown }) => {
        if (this.live.has(socket)) this.receive(event?.data);
      });
    });
    if ("readyState" in failure) return failure;
    const params = { ...this.params, token };
    throw await explainRefusal(failure, { params, sessions: this.sessions, auth: this.auth });
  }

  /** The handshake's URL, and the token in it (a speaker's). */
  private async connectUrl(): Promise<{ url: string; token: string | undefined }> {
    const { sessionId, targetLanguage, token } = this.params;
    let sent: string | undefined;
    if (!targetLanguage) {
      const force = this.forceTokenRefresh;
      this.forceTokenRefresh = false;
      const fresh = this.auth && (force || !token || this.currentState !== "connecting");
      sent = fresh && this.auth ? await this.auth.getToken(force) : (token ?? "");
    }
    return { url: withQuery(this.url, { sessionId, targetLanguage, token: sent }), token: sent }; // a speaker's token: never "" (validateConnect)
  }

  private adopt(socket: WebSocketLike, reconnected: boolean, afterDrop = false): void {
    const previous = this.socket;
    this.socket = socket;
    this.currentState = "open";
    if (previous && previous !== socket) {
      this.live.delete(previous);
      previous.close(1000, "replaced");
    }
    this.startHeartbeat();
    this.events.emit("connected", { sessionId: this.params.sessionId, reconnected });
    const queued = this.queue;
    this.queue = [];
    if (afterDrop) {
      // the dropped socket may have lost what it was sent last: resend, in order, what the server
      // has not acknowledged (it forwards what it never received and acknowledges the others)
      for (const text of this.acks.toResend(new Set(queued))) socket.send(text);
      // a listener asks for the segments it missed meanwhile (docs/websocket-protocol.md#catchup)
      if (this.role === "listener") socket.send(JSON.stringify({ action: "catchUp", ...this.segments.catchUpFrom() }));
    }
    for (const text of queued) socket.send(text);
  }

  /** The open connection closed without being asked to. */
  private dropped(closeCode: number): void {
    this.heartbeats.stop();
    this.socket = undefined;
    if (this.currentState === "closed") return;
    if (!this.reconnectConfig) {
      this.finish(
        "failed",
        new WebSocketError({ kind: "closed", userMessage: `The connection closed (code ${closeCode}).` }),
      );
      return;
    }
    this.currentState = "reconnecting";
    void this.reconnect(closeCode, this.reconnectConfig);
  }

  private async reconnect(closeCode: number, config: ReconnectConfig): Promise<void> {
    let refreshedToken = false;
    let lastError: BabelcastError | undefined;
    for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
      const delayMs = backoffDelay(config, attempt);
      this.logger.info(
        `[babelcast] connection lost (code ${closeCode}): reconnecting in ${delayMs} ms (attempt ${attempt})`,
      );
      this.events.emit("reconnecting", { attempt, delayMs, closeCode });
      await wakeableDelay(delayMs, (wake) => {
        this.wake = wake;
      });
      this.wake = undefined;
      if (this.currentState !== "reconnecting") return; // closed meanwhile
      try {
        const socket = await this.open();
        if (this.currentState !== "reconnecting") {
          this.live.delete(socket);
          socket.close(1000);
          return;
        }
        this.adopt(socket, true, true);
        return;
      } catch (error) {
        if (this.currentState !== "reconnecting") return;
        const refusal = error as ConnectionRefusedError;
        lastError = refusal;
        if (this.auth && !refreshedToken && mayBeTheToken(refusal)) {
          refreshedToken = true; // once per outage: the token expired while we were away
          this.forceTokenRefresh = true;
          continue;
        }
        if (isFinal(refusal)) {
          this.finish("refused", refusal);
          return;
        }
      }
    }
    const detail = lastError ? ` ${lastError.userMessage}` : "";
    this.finish(
      "failed",
      new WebSocketError({
        kind: "closed",
        userMessage: `The connection was lost and could not be reopened after ${config.maxAttempts} attempts.${detail}`,
        cause: lastError,
      }),
    );
  }

  /** connectionRefreshRequired: open the new connection before closing the old one (nothing is missed). */
  private async refreshConnection(): Promise<void> {
    if (this.refreshing || this.currentState !== "open") return;
    this.refreshing = true;
    try {
      const socket = await this.open();
      if (this.currentState === "open") this.adopt(socket, true);
      else {
        this.live.delete(socket);
        socket.close(1000);
      }
    } catch (error) {
      this.logger.warn("[babelcast] connectionRefreshRequired: could not open the new connection yet", error);
    } finally {
      this.refreshing = false;
    }
  }

  private finish(reason: CloseReason, error?: BabelcastError): void {
    this.currentState = "closed";
    this.heartbeats.stop();
    this.wake?.();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      this.live.delete(socket);
      socket.close(1000, reason === "client" ? "client closed" : reason);
    }
    this.queue = [];
    const why =
      error ??
      new WebSocketError({
        kind: "closed",
        code: reason === "sessionEnded" ? "SESSION_ENDED" : undefined,
        userMessage: reason === "sessionEnded" ? "The session has ended." : "The connection was closed.",
      });
    this.replies.rejectAll(why);
    if (error) this.logger.warn(`[babelcast] connection closed for good (${reason}): ${error.userMessage}`);
    this.events.emit("closed", error ? { reason, error } : { reason });
  }

  private receive(data: unknown): void {
    const decoded = decodeServerMessage(data);
    if (decoded === undefined) {
      this.logger.warn("[babelcast] ignored a message that is not a JSON object");
      return;
    }
    const [type, typed] = decoded;
    if (type === "heartbeatAck") this.heartbeats.acknowledge();
    if (type === "audioAck") this.acks.acknowledge((typed as { sequence: number }).sequence);
    if (type === "translation" && !this.segments.firstSight(typed as { sequence?: unknown })) return;
    this.replies.settle(typed);
    this.events.emit(type, typed as never);
    this.events.emit("message", typed);
    if (type === "sessionEnded") this.finish("sessionEnded");
    else if (type === "connectionRefreshRequired") void this.refreshConnection();
  }

  private startHeartbeat(): void {
    this.heartbeats.start(
      () => {
        const socket = this.socket;
        if (this.currentState !== "open" || socket?.readyState !== OPEN) return undefined;
        socket.send(JSON.stringify({ action: "heartbeat" }));
        return socket;
      },
      (socket) => {
        if (this.socket !== socket) return;
        this.logger.warn("[babelcast] no heartbeatAck: the connection is dead, reconnecting");
        this.live.delete(socket);
        socket.close(4000, "no heartbeat ack");
        this.dropped(1006);
      },
    );
  }
}
