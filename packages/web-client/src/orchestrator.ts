// SessionCreationOrchestrator (seed 001, tasks 11 and 13): create a session over HTTP and connect the
// speaker's socket with its id, or (flag off, the seeds' default) the legacy way: connect, then send
// createSession on the socket.
import { BabelcastError, HttpError, WebSocketError } from "./errors.js";
import type { Session } from "./generated/messages.js";
import { type AuthProvider, type SessionConfig, SessionHttpService, type SessionHttpServiceOptions } from "./http.js";
import type { Logger } from "./util.js";
import { WebSocketClient } from "./websocket.js";
import type { WebSocketClientOptions, WebSocketConstructor } from "./websocket-types.js";

export interface SessionCreationOrchestratorOptions {
  /** The HTTP API's URL; required when `useHttpSessionCreation` (also used to explain refused connections). */
  httpApiUrl?: string | undefined;
  /** The WebSocket API's URL. */
  wsUrl: string;
  auth: AuthProvider;
  /** true: POST /sessions then connect with ?sessionId=; false (default): the legacy WebSocket createSession. */
  useHttpSessionCreation?: boolean | undefined;
  WebSocket?: WebSocketConstructor | undefined;
  /** The fetch its HTTP calls use (default the global one); `http.fetch` wins when both are given. */
  fetch?: typeof fetch | undefined;
  /** Options for the SessionHttpService (retries, timeout, fetch). */
  http?: Omit<SessionHttpServiceOptions, "apiBaseUrl" | "auth" | "logger"> | undefined;
  /** Options for the WebSocketClient (heartbeats, reconnection). */
  webSocket?:
    | Omit<WebSocketClientOptions, "url" | "WebSocket" | "auth" | "sessions" | "httpApiUrl" | "logger">
    | undefined;
  logger?: Logger | undefined;
}

export type CreationMethod = "http" | "websocket";

export type SessionCreationResult =
  | { success: true; sessionId: string; session: Session; wsClient: WebSocketClient; method: CreationMethod }
  | { success: false; error: BabelcastError; method: CreationMethod };

export type CreateSessionConfig = SessionConfig;

/** A feature flag from an environment string (`import.meta.env.VITE_USE_HTTP_SESSION_CREATION`): "true", "1", "yes", "on". */
export function flagFromEnv(value: string | boolean | undefined | null): boolean {
  if (typeof value === "boolean") return value;
  return ["true", "1", "yes", "on"].includes((value ?? "").trim().toLowerCase());
}

export class SessionCreationOrchestrator {
  readonly useHttpSessionCreation: boolean;
  /** The HTTP service (undefined when no httpApiUrl was given). */
  readonly http: SessionHttpService | undefined;
  private readonly options: SessionCreationOrchestratorOptions;
  private readonly logger: Logger;

  constructor(options: SessionCreationOrchestratorOptions) {
    this.options = options;
    this.useHttpSessionCreation = options.useHttpSessionCreation ?? false;
    this.logger = options.logger ?? console;
    if (this.useHttpSessionCreation && !options.httpApiUrl) {
      throw new TypeError("useHttpSessionCreation needs httpApiUrl (VITE_HTTP_API_URL).");
    }
    this.http = options.httpApiUrl
      ? new SessionHttpService({
          ...options.http,
          fetch: options.http?.fetch ?? options.fetch,
          apiBaseUrl: options.httpApiUrl,
          auth: options.auth,
          logger: this.logger,
        })
      : undefined;
  }

  /** Creates the session and returns the speaker's connected client; never throws (see `success`). */
  async createSession(config: CreateSessionConfig): Promise<SessionCreationResult> {
    const method: CreationMethod = this.useHttpSessionCreation ? "http" : "websocket";
    // which path runs, for the gradual rollout (seed task 13)
    this.logger.info(
      this.useHttpSessionCreation
        ? "[SessionCreationOrchestrator] Using HTTP-based session creation (hybrid mode)"
        : "[SessionCreationOrchestrator] Using WebSocket-based session creation (legacy mode)",
    );
    try {
      return method === "http" ? await this.viaHttp(config) : await this.viaWebSocket(config);
    } catch (error) {
      const failure =
        error instanceof BabelcastError
          ? error
          : new HttpError({ status: 0, code: "UNEXPECTED", kind: "network", userMessage: String(error), cause: error });
      this.logger.warn(`[SessionCreationOrchestrator] session creation failed: ${failure.userMessage}`);
      return { success: false, error: failure, method };
    }
  }

  /** The speaker's client, not yet connected; a WebSocketError when it cannot be made (no WebSocket here). */
  private client(): WebSocketClient {
    const { wsUrl, WebSocket, auth, webSocket } = this.options;
    try {
      return new WebSocketClient({
        ...webSocket,
        url: wsUrl,
        auth,
        logger: this.logger,
        ...(WebSocket ? { WebSocket } : {}),
        ...(this.http ? { sessions: this.http } : {}),
      });
    } catch (error) {
      throw new WebSocketError({
        kind: "closed",
        code: "WEBSOCKET_UNAVAILABLE",
        userMessage:
          'No WebSocket implementation here (Node 20): give the orchestrator `WebSocket`, e.g. from the "ws" package.',
        cause: error,
      });
    }
  }

  private async viaHttp(config: CreateSessionConfig): Promise<SessionCreationResult> {
    const http = this.http as SessionHttpService;
    // made before the session: a client that cannot exist must not leave a session behind
    const wsClient = this.client();
    const session = await http.createSession(config);
    try {
      await wsClient.connect({ sessionId: session.sessionId });
    } catch (error) {
      // no speaker could join it: end it rather than leave an orphan running until it expires
      await http.deleteSession(session.sessionId).catch(() => undefined);
      throw error;
    }
    return { success: true, sessionId: session.sessionId, session, wsClient, method: "http" };
  }

  private async viaWebSocket(config: CreateSessionConfig): Promise<SessionCreationResult> {
    const wsClient = this.client();
    await wsClient.connect({});
    try {
      const session = await wsClient.createSession(config);
      return { success: true, sessionId: session.sessionId, session, wsClient, method: "websocket" };
    } catch (error) {
      wsClient.close();
      throw error;
    }
  }
}
