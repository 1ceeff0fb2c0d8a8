// Typed errors. Every error this package throws is a BabelcastError: branch on `kind` (or on the
// subclass), show `userMessage` to people, quote `correlationId` when reporting a problem.

import type { WebSocketErrorCode } from "./generated/messages.js";
import type { components } from "./generated/openapi.js";

export type ApiErrorCode = components["schemas"]["ErrorCode"];

/** What went wrong, coarsely: what a UI branches on. */
export type ErrorKind =
  | "validation" // 400: fix the input
  | "unauthorized" // 401: sign in again
  | "forbidden" // 403: not yours, or the session has ended
  | "notFound" // 404
  | "conflict" // 409: e.g. an ended session cannot change
  | "tooLarge" // 413
  | "rateLimited" // 429: wait (`retryAfterMs`)
  | "server" // 5xx after the retries
  | "network" // no answer: offline, DNS, connection refused or reset
  | "timeout" // no answer in time (or 408), on every attempt
  | "closed"; // the WebSocket is closed (or was never opened)

/**
 * The status each error code of the service has (over HTTP, and on a refused WebSocket `$connect`).
 * WebSocket `error` messages carry only the code; this gives them the same status and kind.
 * A contract test compares it with the server's own table (packages/common, babelcast.errors).
 */
export const ERROR_CODE_STATUS = {
  MALFORMED_JSON: 400,
  VALIDATION_ERROR: 400,
  INVALID_SESSION_ID: 400,
  INVALID_NEXT_TOKEN: 400,
  MISSING_SESSION_ID: 400,
  UNKNOWN_ACTION: 400,
  INVALID_MESSAGE: 400,
  INVALID_AUDIO: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  SESSION_ENDED: 403,
  LEGACY_CREATION_DISABLED: 403,
  LEGACY_DIALECT_DISABLED: 403,
  NOT_SPEAKER: 403,
  NOT_LISTENER: 403,
  SESSION_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  INVALID_STATUS_TRANSITION: 409,
  NO_SESSION: 409,
  PAYLOAD_TOO_LARGE: 413,
  AUDIO_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SESSION_FULL: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<ApiErrorCode | Exclude<WebSocketErrorCode, "AUDIO_BUFFER_FULL">, number> &
  Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODE_STATUS;

/** What a person should read for each status when the service does not say better (seed req 7.6). */
const FRIENDLY: Record<number, string> = {
  400: "The request is invalid.",
  401: "You are not signed in, or your sign-in has expired: sign in again.",
  403: "You are not authorized to do this (only the session's speaker may, and an ended session cannot change).",
  404: "Session not found: check the session id (it may have ended and expired).",
  408: "The service did not answer in time: try again.",
  409: "The session cannot change like that (an ended session stays ended).",
  413: "The request is too large.",
  429: "Too many requests: wait a moment and try again.",
  500: "The service had an internal error: try again later.",
  502: "The service is unreachable right now: try again shortly.",
  503: "The service is temporarily unavailable: try again shortly.",
  504: "The service did not answer in time: try again shortly.",
};
const NETWORK_MESSAGE = "Cannot reach the service: check your connection and try again.";
const TIMEOUT_MESSAGE = FRIENDLY[408] as string;

export function kindOf(status: number): ErrorKind {
  switch (status) {
    case 400:
      return "validation";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "notFound";
    case 408:
      return "timeout";
    case 409:
      return "conflict";
    case 413:
      return "tooLarge";
    case 429:
      return "rateLimited";
    default:
      return status >= 500 ? "server" : "validation";
  }
}

export function friendlyMessage(status: number): string {
  return FRIENDLY[status] ?? (status >= 500 ? (FRIENDLY[500] as string) : `The request failed (HTTP ${status}).`);
}

/** The status an error code has; undefined for a code this client does not know. */
export function statusOfCode(code: string): number | undefined {
  return (ERROR_CODE_STATUS as Record<string, number>)[code];
}

export interface ErrorDetail {
  field: string;
  issue: string;
}

interface BabelcastErrorInit {
  kind: ErrorKind;
  userMessage: string;
  correlationId?: string | undefined;
  cause?: unknown;
}

/** The base of every error this package throws. `message` is `userMessage`. */
export class BabelcastError extends Error {
  readonly kind: ErrorKind;
  readonly userMessage: string;
  readonly correlationId: string | undefined;

  constructor(init: BabelcastErrorInit) {
    super(init.userMessage, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.kind = init.kind;
    this.userMessage = init.userMessage;
    this.correlationId = init.correlationId;
  }
}

export interface HttpErrorInit {
  status: number;
  code: string;
  userMessage?: string;
  correlationId?: string | undefined;
  details?: ErrorDetail[];
  kind?: ErrorKind;
  retryAfterMs?: number | undefined;
  attempts?: number;
  cause?: unknown;
}

/**
 * An HTTP call failed: `status` (0 when no answer came: `kind` is then "network" or "timeout"),
 * the service's stable `code`, `details` per field for a 400.
 */
export class HttpError extends BabelcastError {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly retryAfterMs: number | undefined;
  /** How many attempts the call made (retries included). */
  readonly attempts: number;

  constructor(init: HttpErrorInit) {
    super({
      kind: init.kind ?? kindOf(init.status),
      userMessage: init.userMessage ?? friendlyMessage(init.status),
      correlationId: init.correlationId,
      cause: init.cause,
    });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts ?? 1;
  }

  /** A one-line summary for logs: message, code, status, correlation id. */
  override toString(): string {
    const parts = [`code ${this.code}`, this.status ? `HTTP ${this.status}` : this.kind];
    if (this.correlationId) parts.push(`correlation id ${this.correlationId}`);
    return `${this.name}: ${this.message} (${parts.join(", ")})`;
  }
}

/** A WebSocket `$connect` was refused: `status` is the refusal's, 0 when it could not be learnt. */
export class ConnectionRefusedError extends HttpError {}

/** The WebSocket is closed, could not be reopened, or a request on it was refused (an `error` message). */
export class WebSocketError extends BabelcastError {
  /** The service's code when the server refused a message (`error` message), else undefined. */
  readonly code: string | undefined;
  /** For a VALIDATION_ERROR: each refused field and why; else empty. */
  readonly details: ErrorDetail[];
  /** For a RATE_LIMITED: how long to wait before creating again (the message's `retryAfter`). */
  readonly retryAfterMs: number | undefined;

  constructor(
    init: BabelcastErrorInit & { code?: string | undefined; details?: ErrorDetail[]; retryAfterMs?: number },
  ) {
    super(init);
    this.code = init.code;
    this.details = init.details ?? [];
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The well-formed `{field, issue}` entries of a `details` value (an HTTP 400 body's or an `error` message's). */
export function detailsOf(value: unknown): ErrorDetail[] {
  return Array.isArray(value)
    ? value.filter((d): d is ErrorDetail => typeof d?.field === "string" && typeof d?.issue === "string")
    : [];
}

/** `userMessage` followed by each refused field and why: "The request is invalid. seconds: …". */
export function withDetails(userMessage: string, details: ErrorDetail[]): string {
  return details.length ? `${userMessage} ${details.map((d) => `${d.field}: ${d.issue}`).join("; ")}` : userMessage;
}

/** The error for a response: the body's code and details, a friendly message for its status. */
export function httpErrorFromResponse(
  status: number,
  body: unknown,
  init: { correlationId?: string | undefined; retryAfterMs?: number | undefined; attempts?: number },
): HttpError {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof fields.code === "string" ? fields.code : defaultCode(status);
  const details = detailsOf(fields.details);
  let userMessage = friendlyMessage(status);
  // the service's 400 message says precisely what is wrong (it never holds internals: see http-api.md);
  // a body without a code is API Gateway's own, whose text is not for people
  if (status === 400 && typeof fields.code === "string" && typeof fields.message === "string" && fields.message) {
    userMessage = fields.message;
  }
  userMessage = withDetails(userMessage, details);
  const correlationId = typeof fields.correlationId === "string" ? fields.correlationId : init.correlationId;
  return new HttpError({ ...init, status, code, userMessage, correlationId, details });
}

export function networkError(timedOut: boolean, init: { correlationId?: string; attempts?: number; cause?: unknown }) {
  return new HttpError({
    ...init,
    status: 0,
    code: timedOut ? "TIMEOUT" : "NETWORK_ERROR",
    kind: timedOut ? "timeout" : "network",
    userMessage: timedOut ? TIMEOUT_MESSAGE : NETWORK_MESSAGE,
  });
}

/** API Gateway's own answers (`{"message": "Unauthorized"}`) carry no code: one from the status. */
function defaultCode(status: number): string {
  const codes: Record<number, string> = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "SESSION_NOT_FOUND",
    408: "TIMEOUT",
    409: "INVALID_STATUS_TRANSITION",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
  };
  return codes[status] ?? (status >= 500 ? "INTERNAL_ERROR" : `HTTP_${status}`);
}
