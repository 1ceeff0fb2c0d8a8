// SessionHttpService: the HTTP API (docs/openapi.yaml) with retries, timeouts, token refresh and
// typed errors, as seed 001 describes the frontend's service.
import { HttpError, httpErrorFromResponse, networkError } from "./errors.js";
import type { components } from "./generated/openapi.js";
import { type BackoffConfig, backoffDelay, type Logger, newCorrelationId, sleep, tokenExpiry } from "./util.js";

type Schemas = components["schemas"];
export type Session = Schemas["Session"];
export type SessionList = Schemas["SessionList"];
export type SessionAnalytics = Schemas["Analytics"];
/** Optional fields accept undefined too (for callers compiled with exactOptionalPropertyTypes). */
type Loose<T> = { [K in keyof T]: T[K] | (Record<never, never> extends Pick<T, K> ? undefined : never) };
export type SessionConfig = Loose<Schemas["CreateSessionRequest"]>;
export type SessionUpdateRequest = Loose<Schemas["UpdateSessionRequest"]>;
export type SessionStatus = Schemas["SessionStatus"];
export type QualityTier = Schemas["QualityTier"];
export type Language = Schemas["Language"];
/** The seeds' name for a session as the API returns it. */
export type SessionMetadata = Session;

/** Where the speaker's Cognito token comes from. `getToken(true)` must return a new token (after a 401). */
export interface AuthProvider {
  getToken(forceRefresh?: boolean): Promise<string>;
}

export interface RetryConfig extends BackoffConfig {
  /** Retries after a 5xx, a 408, a network error or a timeout (never after another 4xx but 429). */
  maxRetries: number;
  /** A 429 is retried after its Retry-After when that is at most this many ms. */
  maxRetryAfterMs: number;
  /**
   * After a timeout, a reset or a 5xx a POST /sessions may have created the session although no answer
   * came; its retry carries the same X-Correlation-Id, so the service answers that session instead of
   * making a second one. false: never retry a POST.
   */
  retryPost: boolean;
}

/** Seed 001's retry configuration (1 s, 2 s, 4 s), with jitter so clients failing together spread out. */
export const DEFAULT_RETRY: RetryConfig = {
  maxRetries: 3,
  initialDelay: 1000,
  maxDelay: 4000,
  backoffMultiplier: 2,
  jitter: 0.2,
  maxRetryAfterMs: 60_000,
  retryPost: true,
};

export interface SessionHttpServiceOptions {
  /** The HTTP API's base URL (the `http_api_url` Terraform output; `httpApiUrl` in .local/endpoints.json). */
  apiBaseUrl: string;
  /** Needed for every call but getSession. */
  auth?: AuthProvider | undefined;
  retry?: Partial<RetryConfig> | undefined;
  /** Per attempt (default 10 000 ms). */
  timeoutMs?: number | undefined;
  /** A token expiring within this many ms is refreshed before it is sent (default 60 000). */
  refreshBeforeExpiryMs?: number | undefined;
  fetch?: typeof fetch | undefined;
  logger?: Logger | undefined;
  /** For tests: the jitter's randomness. */
  random?: (() => number) | undefined;
}

export interface ListSessionsOptions {
  limit?: number | undefined;
  nextToken?: string | null | undefined;
  status?: SessionStatus | undefined;
}

interface Call {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  authenticated: boolean;
  body?: unknown | undefined;
  query?: Record<string, string | number | undefined> | undefined;
}

type Outcome = { response: Response; body: unknown } | { failure: unknown; timedOut: boolean };

export class SessionHttpService {
  readonly apiBaseUrl: string;
  private readonly auth: AuthProvider | undefined;
  private readonly retry: RetryConfig;
  private readonly timeoutMs: number;
  private readonly refreshBeforeExpiryMs: number;
  private readonly fetch: typeof fetch;
  private readonly logger: Logger;
  private readonly random: () => number;

  constructor(options: SessionHttpServiceOptions) {
    this.apiBaseUrl = options.apiBaseUrl.replace(/\/+$/, "");
    this.auth = options.auth;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? 60_000;
    // bound: a browser's fetch throws "Illegal invocation" when called as a method of another object
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.logger = options.logger ?? console;
    this.random = options.random ?? Math.random;
  }

  /** POST /sessions: a new active session owned by the signed-in speaker. */
  createSession(config: SessionConfig): Promise<Session> {
    return this.json<Session>({ method: "POST", path: "/sessions", authenticated: true, body: config });
  }

  /** GET /sessions/{id}: public, sent without a token (listeners call it too). */
  getSession(sessionId: string): Promise<Session> {
    return this.json<Session>({ method: "GET", path: sessionPath(sessionId), authenticated: false });
  }

  /** PATCH /sessions/{id}: only the fields given are written (the owner only). */
  updateSession(sessionId: string, updates: SessionUpdateRequest): Promise<Session> {
    return this.json<Session>({ method: "PATCH", path: sessionPath(sessionId), authenticated: true, body: updates });
  }

  /** DELETE /sessions/{id}: ends the session (listeners get `sessionEnded`); repeating it is fine. */
  async deleteSession(sessionId: string): Promise<void> {
    await this.request({ method: "DELETE", path: sessionPath(sessionId), authenticated: true });
  }

  /** GET /sessions: one page of the caller's own sessions, newest first. */
  async listSessions(options: ListSessionsOptions = {}): Promise<{ sessions: Session[]; nextToken: string | null }> {
    const page = await this.json<SessionList>({
      method: "GET",
      path: "/sessions",
      authenticated: true,
      query: { limit: options.limit, nextToken: options.nextToken ?? undefined, status: options.status },
    });
    return { sessions: page.sessions, nextToken: page.nextToken ?? null };
  }

  /** GET /sessions/{id}/analytics (the owner only). */
  getSessionAnalytics(sessionId: string): Promise<SessionAnalytics> {
    return this.json<SessionAnalytics>({
      method: "GET",
      path: `${sessionPath(sessionId)}/analytics`,
      authenticated: true,
    });
  }

  // --- transport ---------------------------------------------------------------------------------

  private async json<T>(call: Call): Promise<T> {
    const { body, correlationId, status } = await this.request(call);
    if (typeof body !== "object" || body === null) {
      throw new HttpError({
        status,
        code: "INVALID_RESPONSE",
        userMessage: "The service answered with something unexpected: try again later.",
        correlationId,
      });
    }
    return body as T;
  }

  private async request(call: Call): Promise<{ body: unknown; correlationId: string; status: number }> {
    // one id for every attempt of this call: the service logs it, so a retried POST can be traced
    const correlationId = newCorrelationId();
    const label = `${call.method} ${call.path}`;
    let token = call.authenticated ? await this.validToken() : undefined;
    let refreshedAfter401 = false;
    let retries = 0;
    for (let attempts = 1; ; attempts++) {
      const outcome = await this.attempt(call, correlationId, token);
      let error: HttpError;
      let wait: number | undefined;
      if ("response" in outcome) {
        const { response, body } = outcome;
        if (response.ok) return { body, correlationId, status: response.status };
        if (response.status === 401 && token !== undefined && !refreshedAfter401 && this.auth) {
          refreshedAfter401 = true; // once: the token may have been revoked, or the clocks disagree
          this.logger.info(`[babelcast] ${label}: 401, refreshing the token and trying once more`);
          token = await this.auth.getToken(true);
          continue;
        }
        const retryAfterMs = parseRetryAfter(response.headers.get("Retry-After"));
        error = httpErrorFromResponse(response.status, body, { correlationId, retryAfterMs, attempts });
        if (response.status === 429) {
          wait = retryAfterMs !== undefined && retryAfterMs <= this.retry.maxRetryAfterMs ? retryAfterMs : undefined;
        } else if ((response.status >= 500 || response.status === 408) && this.mayRetry(call)) {
          wait = backoffDelay(this.retry, retries + 1, this.random);
        }
      } else {
        error = networkError(outcome.timedOut, { correlationId, attempts, cause: outcome.failure });
        if (this.mayRetry(call)) wait = backoffDelay(this.retry, retries + 1, this.random);
      }
      if (wait === undefined || retries >= this.retry.maxRetries) {
        const line = `[babelcast] ${label} failed: ${error.code} (${error.status || error.kind}) after ${attempts} attempt(s), correlation id ${correlationId}`;
        if (error.status >= 400 && error.status < 500 && error.kind !== "timeout") this.logger.info(line);
        else this.logger.warn(line);
        throw error;
      }
      retries++;
      this.logger.warn(
        `[babelcast] retrying ${label} in ${wait} ms (retry ${retries} of ${this.retry.maxRetries}; attempt ${attempts} failed: ${error.status || error.kind}; correlation id ${correlationId})`,
      );
      await sleep(wait);
    }
  }

  private mayRetry(call: Call): boolean {
    return call.method !== "POST" || this.retry.retryPost;
  }

  private async attempt(call: Call, correlationId: string, token: string | undefined): Promise<Outcome> {
    const headers: Record<string, string> = { Accept: "application/json", "X-Correlation-Id": correlationId };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const response = await this.fetch(this.url(call), {
        method: call.method,
        headers,
        body: call.body === undefined ? null : JSON.stringify(call.body),
        signal: controller.signal,
      });
      const text = await response.text(); // inside the timeout: a body can stall too
      return { response, body: parseBody(text) };
    } catch (failure) {
      return { failure, timedOut };
    } finally {
      clearTimeout(timer);
    }
  }

  private url(call: Call): string {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== "") query.set(name, String(value));
    }
    const search = query.toString();
    return `${this.apiBaseUrl}${call.path}${search ? `?${search}` : ""}`;
  }

  /** The current token, refreshed first when it expires within `refreshBeforeExpiryMs`. */
  private async validToken(): Promise<string> {
    if (!this.auth) {
      throw new HttpError({
        status: 401,
        code: "UNAUTHORIZED",
        userMessage: "Sign in first: this call needs a token (give SessionHttpService an `auth`).",
      });
    }
    let token = await this.auth.getToken();
    const expiry = tokenExpiry(token);
    if (expiry !== undefined && Date.now() >= expiry - this.refreshBeforeExpiryMs) {
      this.logger.debug("[babelcast] the token expires soon: refreshing it before the request");
      token = await this.auth.getToken(true);
    }
    return token;
  }
}

function sessionPath(sessionId: string): string {
  if (!sessionId) {
    throw new HttpError({ status: 400, code: "INVALID_SESSION_ID", userMessage: "A session id is required." });
  }
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Retry-After as ms: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
