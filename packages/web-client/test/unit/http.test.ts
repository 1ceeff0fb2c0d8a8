// SessionHttpService against a mocked fetch. The "seed task 14.x" tests mirror seed 000's task list
// one for one; the rest cover what seed 001 adds (retry details, timeouts, correlation ids).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_RETRY, HttpError, type Logger, SessionHttpService } from "../../src/index.js";
import { hangingFetch, json, jwt, type Recorded, SESSION, scriptedFetch } from "../support/fetch.js";

const API = "https://api.example.test/prod";

function service(
  fetch: typeof globalThis.fetch,
  token = jwt(3_600_000),
  extra: Partial<ConstructorParameters<typeof SessionHttpService>[0]> = {},
) {
  const auth = { getToken: vi.fn(async (force?: boolean) => (force ? jwt(3_600_000, { fresh: true }) : token)) };
  const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn() };
  const http = new SessionHttpService({ apiBaseUrl: `${API}/`, auth, fetch, logger, random: () => 0, ...extra });
  return { http, auth, logger };
}

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

const body = (r: Recorded | undefined) => r?.body;

describe("seed task 14.1: createSession with a valid config", () => {
  it("POSTs the config to /sessions with the token and returns the parsed session", async () => {
    const { fetch, calls } = scriptedFetch(json(201, SESSION, { Location: "/sessions/blessed-shepherd-427" }));
    const { http, auth } = service(fetch, "header.eyJleHAiOjk5OTk5OTk5OTk5fQ.sig");
    const session = await http.createSession({ sourceLanguage: "en", qualityTier: "standard" });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe("POST");
    expect(calls[0]?.url).toBe(`${API}/sessions`);
    expect(calls[0]?.headers.authorization).toBe("Bearer header.eyJleHAiOjk5OTk5OTk5OTk5fQ.sig");
    expect(calls[0]?.headers["content-type"]).toBe("application/json");
    expect(body(calls[0])).toEqual({ sourceLanguage: "en", qualityTier: "standard" });
    expect(session).toEqual(SESSION);
    expect(auth.getToken).toHaveBeenCalledTimes(1);
  });
});

describe("seed task 14.2: createSession with an invalid config", () => {
  const invalid = (field: string, issue: string) =>
    json(400, {
      code: "VALIDATION_ERROR",
      message: "The request is invalid.",
      correlationId: "web-from-server",
      timestamp: 1,
      details: [{ field, issue }],
    });

  it("a missing sourceLanguage is a 400 that says which field and why, and is not retried", async () => {
    const { fetch, calls } = scriptedFetch(invalid("sourceLanguage", "field required"));
    const { http } = service(fetch);
    const error = await failure(http.createSession({ qualityTier: "standard" } as never));
    expect(calls).toHaveLength(1);
    expect(error.status).toBe(400);
    expect(error.kind).toBe("validation");
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.details).toEqual([{ field: "sourceLanguage", issue: "field required" }]);
    expect(error.message).toContain("sourceLanguage: field required");
    expect(error.correlationId).toBe("web-from-server");
  });

  it("an invalid qualityTier is a 400 naming the tier", async () => {
    const { fetch } = scriptedFetch(invalid("qualityTier", "must be one of: standard, premium"));
    const { http } = service(fetch);
    const error = await failure(http.createSession({ sourceLanguage: "en", qualityTier: "gold" as never }));
    expect(error.status).toBe(400);
    expect(error.userMessage).toBe("The request is invalid. qualityTier: must be one of: standard, premium");
  });
});

describe("seed task 14.3: getSession with an existing session", () => {
  it("GETs /sessions/{id} without Authorization and returns the parsed session", async () => {
    const { fetch, calls } = scriptedFetch(json(200, SESSION));
    const { http, auth } = service(fetch);
    expect(await http.getSession("blessed-shepherd-427")).toEqual(SESSION);
    expect(calls[0]?.method).toBe("GET");
    expect(calls[0]?.url).toBe(`${API}/sessions/blessed-shepherd-427`);
    expect(calls[0]?.headers.authorization).toBeUndefined();
    expect(auth.getToken).not.toHaveBeenCalled();
  });

  it("works with no auth at all (a listener's page)", async () => {
    const { fetch } = scriptedFetch(json(200, SESSION));
    const http = new SessionHttpService({ apiBaseUrl: API, fetch });
    expect((await http.getSession("blessed-shepherd-427")).status).toBe("active");
  });
});

describe("seed task 14.4: getSession with a non-existent session", () => {
  it("throws a 404 whose message says 'not found'", async () => {
    const { fetch, calls } = scriptedFetch(
      json(404, {
        code: "SESSION_NOT_FOUND",
        message: "Session 'holy-light-999' does not exist or has expired.",
        correlationId: "c-1",
        timestamp: 1,
      }),
    );
    const { http } = service(fetch);
    const error = await failure(http.getSession("holy-light-999"));
    expect(calls).toHaveLength(1); // a 4xx is never retried
    expect(error.status).toBe(404);
    expect(error.kind).toBe("notFound");
    expect(error.code).toBe("SESSION_NOT_FOUND");
    expect(error.message.toLowerCase()).toContain("not found");
  });
});

describe("seed task 14.5: updateSession with ownership", () => {
  it("PATCHes only the given fields with the token and returns the updated session", async () => {
    const paused = { ...SESSION, status: "paused", version: 2 };
    const { fetch, calls } = scriptedFetch(json(200, paused));
    const { http } = service(fetch);
    const updated = await http.updateSession("blessed-shepherd-427", { status: "paused" });
    expect(calls[0]?.method).toBe("PATCH");
    expect(calls[0]?.url).toBe(`${API}/sessions/blessed-shepherd-427`);
    expect(calls[0]?.headers.authorization).toMatch(/^Bearer ey/);
    expect(body(calls[0])).toEqual({ status: "paused" });
    expect(updated).toEqual(paused);
  });
});

describe("seed task 14.6: updateSession without ownership", () => {
  it("throws a 403 whose message says 'not authorized'", async () => {
    const { fetch, calls } = scriptedFetch(
      json(403, {
        code: "FORBIDDEN",
        message: "Only the speaker who created this session can change it.",
        correlationId: "c",
        timestamp: 1,
      }),
    );
    const { http } = service(fetch);
    const error = await failure(http.updateSession("blessed-shepherd-427", { status: "ended" }));
    expect(calls).toHaveLength(1);
    expect(error.status).toBe(403);
    expect(error.kind).toBe("forbidden");
    expect(error.message).toContain("not authorized");
  });
});

describe("seed task 14.7: deleteSession with ownership", () => {
  it("DELETEs /sessions/{id} with the token and resolves to undefined on 204", async () => {
    const { fetch, calls } = scriptedFetch(new Response(null, { status: 204 }));
    const { http } = service(fetch);
    await expect(http.deleteSession("blessed-shepherd-427")).resolves.toBeUndefined();
    expect(calls[0]?.method).toBe("DELETE");
    expect(calls[0]?.url).toBe(`${API}/sessions/blessed-shepherd-427`);
    expect(calls[0]?.headers.authorization).toMatch(/^Bearer /);
    expect(calls[0]?.body).toBeUndefined();
  });
});

describe("seed task 14.8: token refresh before requests", () => {
  it("an expired token is refreshed before the request, and the new one is sent", async () => {
    const { fetch, calls } = scriptedFetch(json(201, SESSION));
    const expired = jwt(-5_000);
    const { http, auth } = service(fetch, expired);
    await http.createSession({ sourceLanguage: "en" });
    expect(auth.getToken).toHaveBeenNthCalledWith(2, true);
    const sent = calls[0]?.headers.authorization?.replace("Bearer ", "");
    expect(sent).not.toBe(expired);
    expect(JSON.parse(Buffer.from(sent?.split(".")[1] ?? "", "base64url").toString()).fresh).toBe(true);
  });

  it("a token expiring within the skew (60 s) is refreshed too; a fresh one is not", async () => {
    const { fetch } = scriptedFetch(json(200, { sessions: [], nextToken: null }));
    const soon = service(fetch, jwt(30_000));
    await soon.http.listSessions();
    expect(soon.auth.getToken).toHaveBeenCalledWith(true);
    const later = service(fetch, jwt(10 * 60_000));
    await later.http.listSessions();
    expect(later.auth.getToken).toHaveBeenCalledTimes(1);
    expect(later.auth.getToken).toHaveBeenCalledWith();
  });

  it("after a 401 the token is refreshed once and the call retried once", async () => {
    const { fetch, calls } = scriptedFetch(json(401, { message: "Unauthorized" }), json(200, SESSION));
    const { http, auth } = service(fetch);
    await http.updateSession("blessed-shepherd-427", { qualityTier: "premium" });
    expect(calls).toHaveLength(2);
    expect(auth.getToken).toHaveBeenLastCalledWith(true);
    expect(calls[1]?.headers.authorization).not.toBe(calls[0]?.headers.authorization);
    expect(calls[1]?.headers["x-correlation-id"]).toBe(calls[0]?.headers["x-correlation-id"]);
  });

  it("a second 401 is final", async () => {
    const { fetch, calls } = scriptedFetch(json(401, { message: "Unauthorized" }));
    const { http } = service(fetch);
    const error = await failure(http.deleteSession("blessed-shepherd-427"));
    expect(calls).toHaveLength(2);
    expect(error.status).toBe(401);
    expect(error.code).toBe("UNAUTHORIZED");
    expect(error.kind).toBe("unauthorized");
  });
});

describe("seed task 14.9: error handling for every status", () => {
  const cases = [
    [400, "validation", "The request is invalid."],
    [401, "unauthorized", "sign in again"],
    [403, "forbidden", "not authorized"],
    [404, "notFound", "not found"],
    [500, "server", "internal error"],
    [503, "server", "temporarily unavailable"],
  ] as const;
  for (const [status, kind, words] of cases) {
    it(`${status}: an HttpError of kind ${kind} with a message for people`, async () => {
      vi.useFakeTimers();
      try {
        // API Gateway's own bodies carry no code: the client derives one from the status
        const { fetch } = scriptedFetch(json(status, { message: "gateway said this" }));
        const { http } = service(fetch, jwt(3_600_000), { auth: undefined });
        const pending = failure(http.getSession("blessed-shepherd-427"));
        await vi.runAllTimersAsync();
        const error = await pending;
        expect(error.status).toBe(status);
        expect(error.kind).toBe(kind);
        expect(error.userMessage).toContain(words);
        expect(error.userMessage).not.toContain("gateway said this"); // never an internal text
        expect(error.code).toMatch(/^[A-Z_]+$/);
        expect(error.correlationId).toMatch(/^web-[0-9a-f]{32}$/);
      } finally {
        vi.useRealTimers();
      }
    });
  }
});

describe("seed task 14.10: retry logic for 5xx errors", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("retries 3 times with exponential backoff (1 s, 2 s, 4 s), then succeeds", async () => {
    const { fetch, calls } = scriptedFetch(json(500, {}), json(503, {}), json(502, {}), json(201, SESSION));
    const { http, logger } = service(fetch);
    const pending = http.createSession({ sourceLanguage: "en" });
    await vi.runAllTimersAsync();
    expect(await pending).toEqual(SESSION);
    expect(calls).toHaveLength(4);
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i] as Recorded).at);
    expect(gaps).toEqual([1000, 2000, 4000]);
    expect(logger.warn).toHaveBeenCalledTimes(3);
    expect(vi.mocked(logger.warn).mock.calls[0]?.[0]).toMatch(/retrying POST \/sessions in 1000 ms \(retry 1 of 3/);
  });

  it("gives up after the 3rd retry with the last status", async () => {
    const { fetch, calls } = scriptedFetch(
      json(500, { code: "INTERNAL_ERROR", message: "x", correlationId: "c", timestamp: 1 }),
    );
    const { http } = service(fetch);
    const pending = failure(http.getSession("blessed-shepherd-427"));
    await vi.runAllTimersAsync();
    const error = await pending;
    expect(calls).toHaveLength(4);
    expect(error.status).toBe(500);
    expect(error.attempts).toBe(4);
  });

  it("every delay stays within the jitter and never exceeds maxDelay", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}));
    const { http } = service(fetch, jwt(3_600_000), { random: () => 0.999, retry: { maxRetries: 5 } });
    const pending = failure(http.getSession("blessed-shepherd-427"));
    await vi.runAllTimersAsync();
    await pending;
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i] as Recorded).at);
    const nominal = [1000, 2000, 4000, 4000, 4000];
    gaps.forEach((gap, i) => {
      expect(gap).toBeLessThanOrEqual(nominal[i] as number);
      expect(gap).toBeGreaterThanOrEqual((nominal[i] as number) * (1 - DEFAULT_RETRY.jitter));
    });
  });
});

describe("retries beyond the seed's list", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("every attempt of one call carries the same X-Correlation-Id; another call gets another", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}), json(200, SESSION));
    const { http } = service(fetch);
    const first = http.getSession("blessed-shepherd-427");
    await vi.runAllTimersAsync();
    await first;
    await http.getSession("blessed-shepherd-427");
    const ids = calls.map((c) => c.headers["x-correlation-id"]);
    expect(ids[0]).toMatch(/^web-[0-9a-f]{32}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it("a 408 (request timeout, seed 001) is kind 'timeout' and retried like a 5xx", async () => {
    const { fetch, calls } = scriptedFetch(json(408, {}), json(200, SESSION));
    const { http } = service(fetch);
    const pending = http.getSession("blessed-shepherd-427");
    await vi.runAllTimersAsync();
    expect(await pending).toEqual(SESSION);
    expect(calls).toHaveLength(2);
    const { fetch: stuck, calls: tries } = scriptedFetch(json(408, { message: "Request Timeout" }));
    const failed = failure(service(stuck).http.deleteSession("blessed-shepherd-427"));
    await vi.runAllTimersAsync();
    const error = await failed;
    expect([error.status, error.kind, error.code, error.attempts]).toEqual([408, "timeout", "TIMEOUT", 4]);
    expect(error.userMessage).toContain("in time");
    expect(tries).toHaveLength(4);
  });

  it("never retries a 4xx", async () => {
    for (const status of [400, 403, 404, 409, 413]) {
      const { fetch, calls } = scriptedFetch(json(status, {}));
      const { http } = service(fetch);
      await failure(http.updateSession("blessed-shepherd-427", { status: "active" }));
      expect(calls, `status ${status}`).toHaveLength(1);
    }
  });

  it("a 429 waits for Retry-After, then succeeds", async () => {
    const { fetch, calls } = scriptedFetch(
      json(
        429,
        { code: "RATE_LIMITED", message: "Too many sessions created; retry in 7 s.", correlationId: "c", timestamp: 1 },
        { "Retry-After": "7" },
      ),
      json(201, SESSION),
    );
    const { http } = service(fetch);
    const pending = http.createSession({ sourceLanguage: "en" });
    await vi.runAllTimersAsync();
    await pending;
    expect((calls[1] as Recorded).at - (calls[0] as Recorded).at).toBe(7000);
  });

  it("a 429 whose Retry-After is too long (or missing) fails at once with retryAfterMs", async () => {
    const { fetch, calls } = scriptedFetch(json(429, { code: "RATE_LIMITED" }, { "Retry-After": "600" }));
    const { http } = service(fetch);
    const error = await failure(http.createSession({ sourceLanguage: "en" }));
    expect(calls).toHaveLength(1);
    expect(error.kind).toBe("rateLimited");
    expect(error.retryAfterMs).toBe(600_000);
  });

  it("a network error is retried, and reported as kind 'network' when it persists", async () => {
    const { fetch, calls } = scriptedFetch(new TypeError("Failed to fetch"));
    const { http } = service(fetch);
    const pending = failure(http.getSession("blessed-shepherd-427"));
    await vi.runAllTimersAsync();
    const error = await pending;
    expect(calls).toHaveLength(4);
    expect(error.status).toBe(0);
    expect(error.kind).toBe("network");
    expect(error.message).toContain("Cannot reach the service");
  });

  it("each attempt is aborted after 10 s (AbortController) and retried; kind 'timeout' at the end", async () => {
    const { fetch, calls } = scriptedFetch(hangingFetch);
    const { http } = service(fetch);
    const pending = failure(http.getSession("blessed-shepherd-427"));
    await vi.runAllTimersAsync();
    const error = await pending;
    expect(calls).toHaveLength(4);
    expect((calls[1] as Recorded).at - (calls[0] as Recorded).at).toBe(10_000 + 1000);
    expect(error.kind).toBe("timeout");
  });

  it("retryPost: false never retries a POST (no duplicate session), but still retries a GET", async () => {
    const { fetch, calls } = scriptedFetch(json(503, {}));
    const { http } = service(fetch, jwt(3_600_000), { retry: { retryPost: false } });
    await failure(http.createSession({ sourceLanguage: "en" }));
    expect(calls).toHaveLength(1);
  });
});

describe("the other routes", () => {
  it("listSessions sends limit, nextToken and status, and returns {sessions, nextToken}", async () => {
    const { fetch, calls } = scriptedFetch(json(200, { sessions: [SESSION], nextToken: "abc" }));
    const { http } = service(fetch);
    const page = await http.listSessions({ limit: 5, nextToken: "xyz", status: "active" });
    expect(calls[0]?.url).toBe(`${API}/sessions?limit=5&nextToken=xyz&status=active`);
    expect(calls[0]?.headers.authorization).toMatch(/^Bearer /);
    expect(page).toEqual({ sessions: [SESSION], nextToken: "abc" });
  });

  it("getSessionAnalytics GETs /sessions/{id}/analytics with the token; ids are URL-encoded", async () => {
    const analytics = { sessionId: "a/b", audioBytes: 32000 };
    const { fetch, calls } = scriptedFetch(json(200, analytics));
    const { http } = service(fetch);
    expect(await http.getSessionAnalytics("a/b")).toEqual(analytics);
    expect(calls[0]?.url).toBe(`${API}/sessions/a%2Fb/analytics`);
  });

  it("a call that needs a token without an auth fails before any request", async () => {
    const { fetch, calls } = scriptedFetch(json(200, {}));
    const http = new SessionHttpService({ apiBaseUrl: API, fetch });
    const error = await failure(http.listSessions());
    expect(error.kind).toBe("unauthorized");
    expect(calls).toHaveLength(0);
  });

  it("a 2xx that is not JSON is an error, not undefined", async () => {
    const { fetch } = scriptedFetch(new Response("<html>", { status: 200 }));
    const { http } = service(fetch);
    expect((await failure(http.getSession("blessed-shepherd-427"))).code).toBe("INVALID_RESPONSE");
  });

  it("no log line holds the token", async () => {
    vi.useFakeTimers();
    const token = jwt(3_600_000);
    const { fetch } = scriptedFetch(json(500, {}));
    const { http, logger } = service(fetch, token);
    const pending = failure(http.listSessions());
    await vi.runAllTimersAsync();
    await pending;
    vi.useRealTimers();
    const lines = JSON.stringify([vi.mocked(logger.warn).mock.calls, vi.mocked(logger.info).mock.calls]);
    expect(lines).toContain("GET /sessions");
    expect(lines).not.toContain(token);
  });
});
