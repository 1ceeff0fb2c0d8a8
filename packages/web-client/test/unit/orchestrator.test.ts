// SessionCreationOrchestrator for both values of the flag (seed tasks 11 and 13): a mocked HTTP API
// and the scripted local WebSocket server.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import {
  flagFromEnv,
  type Logger,
  SessionCreationOrchestrator,
  type SessionCreationResult,
  WebSocketError,
} from "../../src/index.js";
import { json, quiet, SESSION, scriptedFetch } from "../support/fetch.js";
import { type ScriptedServer, scriptedServer } from "../support/server.js";

let server: ScriptedServer;
const results: SessionCreationResult[] = [];
beforeEach(async () => {
  server = await scriptedServer();
});
afterEach(async () => {
  for (const result of results.splice(0)) if (result.success) result.wsClient.close();
  await server.close();
});

const auth = { getToken: vi.fn(async () => "speaker-token") };

function orchestrator(fetch: typeof globalThis.fetch, useHttpSessionCreation?: boolean) {
  const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn() };
  const instance = new SessionCreationOrchestrator({
    httpApiUrl: "http://api.test",
    wsUrl: server.url,
    auth,
    WebSocket,
    logger,
    http: { fetch },
    ...(useHttpSessionCreation === undefined ? {} : { useHttpSessionCreation }),
  });
  const create = async () => {
    const result = await instance.createSession({ sourceLanguage: "en", qualityTier: "premium" });
    results.push(result);
    return result;
  };
  return { instance, logger, create };
}

const logged = (logger: Logger) => vi.mocked(logger.info).mock.calls.map((c) => String(c[0]));

describe("useHttpSessionCreation: true", () => {
  it("POSTs /sessions, then connects the speaker's socket with that sessionId", async () => {
    const { fetch, calls } = scriptedFetch(json(201, SESSION));
    const { create, logger } = orchestrator(fetch, true);
    const accepted = server.nextConnection();
    const result = await create();
    if (!result.success) throw result.error;
    expect(result.method).toBe("http");
    expect(result.sessionId).toBe(SESSION.sessionId);
    expect(result.session).toEqual(SESSION);
    expect(result.wsClient.state).toBe("open");
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["POST", "http://api.test/sessions", { sourceLanguage: "en", qualityTier: "premium" }],
    ]);
    const connection = await accepted;
    expect(Object.fromEntries(connection.query)).toEqual({ sessionId: SESSION.sessionId, token: "speaker-token" });
    expect(connection.messages).toEqual([]); // no createSession over the socket
    expect(logged(logger)).toContain("[SessionCreationOrchestrator] Using HTTP-based session creation (hybrid mode)");
  });

  it("an HTTP failure is returned (success: false) with its kind, and no socket is opened", async () => {
    const { fetch } = scriptedFetch(
      json(400, { code: "VALIDATION_ERROR", message: "The request is invalid.", correlationId: "c", timestamp: 1 }),
    );
    const { create } = orchestrator(fetch, true);
    const result = await create();
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.kind).toBe("validation");
    expect(server.connections).toHaveLength(0);
  });

  it("a refused connection ends the just-created session instead of leaving it running", async () => {
    server.refuse = () => 403;
    const { fetch, calls } = scriptedFetch(json(201, SESSION), json(200, SESSION), new Response(null, { status: 204 }));
    const { create } = orchestrator(fetch, true);
    const result = await create();
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.kind).toBe("forbidden");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST http://api.test/sessions",
      `GET http://api.test/sessions/${SESSION.sessionId}`, // why was it refused?
      `DELETE http://api.test/sessions/${SESSION.sessionId}`,
    ]);
  });

  it("without a WebSocket implementation (Node 20, no `WebSocket` option) it says so and leaves no session", async () => {
    vi.stubGlobal("WebSocket", undefined);
    try {
      const { fetch, calls } = scriptedFetch(json(201, SESSION), new Response(null, { status: 204 }));
      const instance = new SessionCreationOrchestrator({
        httpApiUrl: "http://api.test",
        wsUrl: server.url,
        auth,
        useHttpSessionCreation: true,
        logger: quiet,
        http: { fetch },
      });
      const result = await instance.createSession({ sourceLanguage: "en" });
      results.push(result);
      if (result.success) throw new Error("created without a WebSocket");
      expect(result.error).toBeInstanceOf(WebSocketError);
      expect([result.error.kind, (result.error as WebSocketError).code]).toEqual(["closed", "WEBSOCKET_UNAVAILABLE"]);
      expect(result.error.userMessage).toContain("`WebSocket`");
      // no session left running: it is not created (or, were it, it is ended)
      const methods = calls.map((c) => c.method);
      expect(methods.filter((m) => m === "POST")).toHaveLength(methods.filter((m) => m === "DELETE").length);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("a top-level `fetch` option is the one its HTTP calls use (Node, tests)", async () => {
    const { fetch, calls } = scriptedFetch(json(201, SESSION));
    const instance = new SessionCreationOrchestrator({
      httpApiUrl: "http://api.test",
      wsUrl: server.url,
      auth,
      WebSocket,
      fetch,
      useHttpSessionCreation: true,
      logger: quiet,
      http: { retry: { maxRetries: 0 } },
    });
    const result = await instance.createSession({ sourceLanguage: "en" });
    results.push(result);
    if (!result.success) throw result.error;
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(["POST http://api.test/sessions"]);
  });

  it("needs httpApiUrl", () => {
    expect(
      () => new SessionCreationOrchestrator({ wsUrl: server.url, auth, useHttpSessionCreation: true, WebSocket }),
    ).toThrow(/httpApiUrl/);
  });
});

describe("useHttpSessionCreation: false (the seeds' default)", () => {
  it("is the default: connects without sessionId and creates the session over the socket, no HTTP call", async () => {
    const { fetch, calls } = scriptedFetch(json(500, {}));
    const { create, instance, logger } = orchestrator(fetch);
    expect(instance.useHttpSessionCreation).toBe(false);
    server.onMessage = (connection, message) => {
      if (message.action === "createSession")
        connection.send({ type: "sessionCreated", sessionId: SESSION.sessionId, session: SESSION });
    };
    const accepted = server.nextConnection();
    const result = await create();
    if (!result.success) throw result.error;
    expect(result.method).toBe("websocket");
    expect(result.sessionId).toBe(SESSION.sessionId);
    expect(result.wsClient.sessionId).toBe(SESSION.sessionId);
    const connection = await accepted;
    expect(Object.fromEntries(connection.query)).toEqual({ token: "speaker-token" });
    expect(connection.messages).toEqual([{ action: "createSession", sourceLanguage: "en", qualityTier: "premium" }]);
    expect(calls).toHaveLength(0);
    expect(logged(logger)).toContain(
      "[SessionCreationOrchestrator] Using WebSocket-based session creation (legacy mode)",
    );
  });

  it("a refused createSession (legacy creation switched off) is returned and the socket closed", async () => {
    const { fetch } = scriptedFetch(json(500, {}));
    const { create } = orchestrator(fetch, false);
    server.onMessage = (connection, message) =>
      connection.send({
        type: "error",
        code: "LEGACY_CREATION_DISABLED",
        message: "Create sessions with POST /sessions, then connect with ?sessionId=<id>.",
        action: message.action,
        requestId: "r",
      });
    const accepted = server.nextConnection();
    const result = await create();
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.kind).toBe("forbidden");
    expect(result.error.message).toContain("POST /sessions");
    expect(await (await accepted).closed).toBe(1000);
  });
});

describe("the Vite flag", () => {
  it("VITE_USE_HTTP_SESSION_CREATION maps to the flag: only true-ish strings turn it on", () => {
    for (const on of ["true", "TRUE", "1", "yes", " on ", true]) expect(flagFromEnv(on), String(on)).toBe(true);
    for (const off of ["false", "0", "", "no", undefined, null, false, "ture"])
      expect(flagFromEnv(off), String(off)).toBe(false);
  });
});
