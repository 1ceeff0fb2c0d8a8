// Why a WebSocket connection was refused. API Gateway refuses a $connect with an HTTP status on the
// upgrade; the `ws` package reports it, a browser only shows close code 1006, so the session is
// looked up (GET /sessions/{id}) to tell "not found" and "ended" apart from the rest.
import {
  ConnectionRefusedError,
  detailsOf,
  friendlyMessage,
  HttpError,
  kindOf,
  statusOfCode,
  WebSocketError,
  withDetails,
} from "./errors.js";
import { type ErrorMessage, LANGUAGES, SESSION_ID_PATTERN, type Session } from "./generated/messages.js";
import type { AuthProvider, SessionHttpService } from "./http.js";
import { tokenExpiry } from "./util.js";
import type { ConnectOptions } from "./websocket-types.js";

/** A failed opening handshake, before its reason is known. */
export interface Failure {
  closeCode: number;
  detail: string;
  timedOut: boolean;
}

const PERMANENT_REFUSALS = new Set([400, 401, 403, 404]);

/** A refusal that trying again cannot cure (a 401 after its one refresh included). */
export function isFinal(refusal: ConnectionRefusedError): boolean {
  return PERMANENT_REFUSALS.has(refusal.status);
}

export interface RefusalContext {
  /** What the handshake sent: `token` is the one in its URL (from `auth` or the caller). */
  params: ConnectOptions;
  sessions: Pick<SessionHttpService, "getSession"> | undefined;
  auth: AuthProvider | undefined;
}

// Refusals a browser saw only as 1006 for a speaker with `auth` whose session is live: most likely
// the token (expired or revoked between reading and use), so a fresh one is worth one more try.
const TOKEN_SUSPECTS = new WeakSet<ConnectionRefusedError>();

/** Whether a fresh token may cure this refusal: a 401, or a browser's bare 1006 as above. */
export function mayBeTheToken(error: unknown): boolean {
  return error instanceof ConnectionRefusedError && (error.status === 401 || TOKEN_SUSPECTS.has(error));
}

/** The reason for a failed opening handshake, as a ConnectionRefusedError. */
export async function explainRefusal(failure: Failure, context: RefusalContext): Promise<ConnectionRefusedError> {
  const { sessionId, targetLanguage, token } = context.params;
  const refused = (status: number, code: string, userMessage?: string) =>
    new ConnectionRefusedError({ status, code, userMessage: userMessage ?? refusalMessage(status, code) });
  if (failure.timedOut) {
    return new ConnectionRefusedError({
      status: 0,
      code: "TIMEOUT",
      kind: "timeout",
      userMessage: "The connection could not be opened in time: check your connection and try again.",
    });
  }
  // the `ws` package reports the upgrade's status; a browser only shows close code 1006
  const status = Number(/Unexpected server response: (\d{3})/.exec(failure.detail)?.[1] ?? 0);
  const session = await lookUp(context.sessions, sessionId);
  if (session === "notFound") return refused(404, "SESSION_NOT_FOUND");
  if (session !== "unknown" && session.status === "ended") return refused(403, "SESSION_ENDED");
  if (status) {
    const codes: Record<number, string> = {
      400: targetLanguage ? "VALIDATION_ERROR" : "MISSING_SESSION_ID",
      401: "UNAUTHORIZED",
      403: sessionId ? "FORBIDDEN" : "LEGACY_CREATION_DISABLED",
      404: "SESSION_NOT_FOUND",
      429: "SESSION_FULL",
    };
    return refused(status, codes[status] ?? "INTERNAL_ERROR");
  }
  // a speaker's token past its `exp` is the reason, whoever gave it (a 401: `auth` refreshes it)
  if (!targetLanguage && token && (tokenExpiry(token) ?? Number.POSITIVE_INFINITY) <= Date.now()) {
    return refused(401, "UNAUTHORIZED");
  }
  let hint = "check your connection and try again";
  if (session !== "unknown") {
    hint = targetLanguage
      ? "the session may be full: try again later"
      : "the token may be invalid, or the session not yours";
  } else if (!sessionId) {
    hint = "legacy creation may be switched off: create the session with POST /sessions";
  } else if (!context.sessions) {
    hint = "give WebSocketClient `httpApiUrl` to learn why";
  }
  const error = new ConnectionRefusedError({
    status: 0,
    code: "CONNECTION_FAILED",
    kind: "network",
    userMessage: `The connection failed (code ${failure.closeCode}): ${hint}.`,
  });
  if (!targetLanguage && context.auth && session !== "unknown") TOKEN_SUSPECTS.add(error);
  return error;
}

async function lookUp(
  sessions: Pick<SessionHttpService, "getSession"> | undefined,
  sessionId: string | undefined,
): Promise<Session | "notFound" | "unknown"> {
  if (!sessionId || !sessions) return "unknown";
  try {
    return (await sessions.getSession(sessionId)) as Session;
  } catch (error) {
    return error instanceof HttpError && error.status === 404 ? "notFound" : "unknown";
  }
}

export function validateConnect(options: ConnectOptions, hasAuth: boolean): void {
  const local = (code: string, userMessage: string) => new ConnectionRefusedError({ status: 400, code, userMessage });
  if (options.sessionId !== undefined && !SESSION_ID_PATTERN.test(options.sessionId)) {
    throw local("INVALID_SESSION_ID", "Session ids look like 'blessed-shepherd-427'.");
  }
  if (options.targetLanguage !== undefined && !LANGUAGES.includes(options.targetLanguage)) {
    throw unsupportedLanguage(options.targetLanguage);
  }
  if (options.targetLanguage && !options.sessionId) throw local("MISSING_SESSION_ID", "A listener needs a sessionId.");
  if (!options.targetLanguage && !options.token && !hasAuth) {
    throw new TypeError("A speaker connects with a token (or give WebSocketClient an `auth`).");
  }
}

export function unsupportedLanguage(language: string): ConnectionRefusedError {
  return new ConnectionRefusedError({
    status: 400,
    code: "VALIDATION_ERROR",
    userMessage: `Unsupported language '${language}'; supported: ${LANGUAGES.join(", ")}.`,
  });
}

const REFUSALS: Record<string, string> = {
  SESSION_NOT_FOUND: "Session not found: check the session id.",
  SESSION_ENDED: "The session has ended.",
  FORBIDDEN: "You are not authorized to join this session as its speaker.",
  LEGACY_CREATION_DISABLED: "Creating sessions over the WebSocket is switched off: create it with POST /sessions.",
  SESSION_FULL: "The session has too many listeners: try again later.",
  UNAUTHORIZED: "Your sign-in has expired or is invalid: sign in again.",
};

function refusalMessage(status: number, code: string): string {
  return REFUSALS[code] ?? friendlyMessage(status);
}

export function messageError(message: ErrorMessage): WebSocketError {
  const status = statusOfCode(message.code) ?? 500;
  const details = detailsOf(message.details);
  return new WebSocketError({
    kind: kindOf(status),
    code: message.code,
    userMessage: withDetails(message.message || friendlyMessage(status), details),
    correlationId: message.requestId,
    details,
    ...(typeof message.retryAfter === "number" ? { retryAfterMs: message.retryAfter * 1000 } : {}),
  });
}
