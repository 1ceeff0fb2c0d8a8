// Why a WebSocket connection was refused, as the client learns it (also in a browser, which only sees 1006).

import { describe, expect, it, vi } from "vitest";
import { SessionHttpService } from "../../src/index.js";
import { json, quiet, SESSION, scriptedFetch } from "../support/fetch.js";
import { BrowserLikeWebSocket } from "../support/server.js";
import { client, ID, rejection, scripted } from "../support/ws-client.js";

describe("why a connection was refused", () => {
  it("with the `ws` package the upgrade's status is the reason (404, 401, 429)", async () => {
    const cases = [
      [404, "SESSION_NOT_FOUND", "notFound"],
      [401, "UNAUTHORIZED", "unauthorized"],
      [429, "SESSION_FULL", "rateLimited"],
    ] as const;
    for (const [status, code, kind] of cases) {
      scripted.server.refuse = () => status;
      const error = await rejection(client().connect({ sessionId: ID, targetLanguage: "fr" }));
      expect([error.status, error.code, error.kind]).toEqual([status, code, kind]);
    }
  });

  it("a browser sees only 1006: the client asks GET /sessions/{id} and reports 'not found'", async () => {
    scripted.server.refuse = () => 404;
    const { fetch, calls } = scriptedFetch(
      json(404, { code: "SESSION_NOT_FOUND", message: "x", correlationId: "c", timestamp: 1 }),
    );
    const ws = client({ WebSocket: BrowserLikeWebSocket, httpApiUrl: "http://api.test", sessions: undefined });
    // httpApiUrl builds its own service on the global fetch: give it ours instead
    const withFetch = client({
      WebSocket: BrowserLikeWebSocket,
      sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }),
    });
    const error = await rejection(withFetch.connect({ sessionId: ID, targetLanguage: "de" }));
    expect(calls[0]?.url).toBe(`http://api.test/sessions/${ID}`);
    expect(calls[0]?.headers.authorization).toBeUndefined();
    expect([error.status, error.code]).toEqual([404, "SESSION_NOT_FOUND"]);
    expect(error.message).toContain("not found");
    expect(ws.state).toBe("idle");
  });

  it("a browser refused for an ended session learns it has ended (403 SESSION_ENDED)", async () => {
    scripted.server.refuse = () => 403;
    const { fetch } = scriptedFetch(json(200, { ...SESSION, status: "ended", endedAt: 2, endReason: "speaker" }));
    const ws = client({
      WebSocket: BrowserLikeWebSocket,
      sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }),
    });
    const error = await rejection(ws.connect({ sessionId: ID, targetLanguage: "de" }));
    expect([error.status, error.code, error.kind]).toEqual([403, "SESSION_ENDED", "forbidden"]);
    expect(error.message).toBe("The session has ended.");
  });

  it("a browser whose session exists gets the likely reason, and without httpApiUrl is told how to learn it", async () => {
    scripted.server.refuse = () => 429;
    const { fetch } = scriptedFetch(json(200, SESSION));
    const full = client({
      WebSocket: BrowserLikeWebSocket,
      sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }),
    });
    const error = await rejection(full.connect({ sessionId: ID, targetLanguage: "de" }));
    expect([error.status, error.kind]).toEqual([0, "network"]);
    expect(error.message).toContain("the session may be full");
    const blind = await rejection(
      client({ WebSocket: BrowserLikeWebSocket }).connect({ sessionId: ID, targetLanguage: "de" }),
    );
    expect(blind.message).toContain("1006");
    expect(blind.message).toContain("httpApiUrl");
  });

  it("an expired token is reported as such even in a browser", async () => {
    scripted.server.refuse = () => 401;
    const { fetch } = scriptedFetch(json(200, SESSION));
    const ws = client({
      WebSocket: BrowserLikeWebSocket,
      sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }),
    });
    const expired = `e30.${Buffer.from(JSON.stringify({ exp: 1 })).toString("base64url")}.s`;
    const error = await rejection(ws.connect({ sessionId: ID, token: expired }));
    expect([error.status, error.code]).toEqual([401, "UNAUTHORIZED"]);
  });

  it("a browser speaker refused (only 1006) while its session is live refreshes the token once and connects", async () => {
    const handshakes: Array<string | null> = [];
    scripted.server.refuse = (query) => {
      handshakes.push(query.get("token"));
      return query.get("token") === "old" ? 401 : undefined;
    };
    const { fetch, calls } = scriptedFetch(json(200, SESSION));
    const auth = { getToken: vi.fn(async (force?: boolean) => (force ? "new" : "old")) };
    const ws = client({
      WebSocket: BrowserLikeWebSocket,
      auth,
      sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }),
    });
    await ws.connect({ sessionId: ID });
    expect(handshakes).toEqual(["old", "new"]);
    expect(auth.getToken).toHaveBeenLastCalledWith(true);
    expect(calls.map((c) => c.url)).toEqual([`http://api.test/sessions/${ID}`]); // why the first was refused
    expect(ws.state).toBe("open");
  });

  it("a browser speaker whose token has expired gets 401 UNAUTHORIZED, with auth too, after one retry", async () => {
    const handshakes: Array<string | null> = [];
    scripted.server.refuse = (query) => {
      handshakes.push(query.get("token"));
      return 401;
    };
    const { fetch } = scriptedFetch(json(200, SESSION));
    const expired = `e30.${Buffer.from(JSON.stringify({ exp: 1 })).toString("base64url")}.s`;
    const auth = { getToken: vi.fn(async () => expired) }; // a provider that cannot refresh any more
    const ws = client({
      WebSocket: BrowserLikeWebSocket,
      auth,
      sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }),
    });
    const error = await rejection(ws.connect({ sessionId: ID }));
    expect([error.status, error.code, error.kind]).toEqual([401, "UNAUTHORIZED", "unauthorized"]);
    expect(handshakes).toHaveLength(2);
    expect(auth.getToken).toHaveBeenLastCalledWith(true);
  });

  it("a browser listener refused while the session is live is not retried (no token to refresh)", async () => {
    let handshakes = 0;
    scripted.server.refuse = () => {
      handshakes += 1;
      return 429;
    };
    const { fetch } = scriptedFetch(json(200, SESSION));
    const auth = { getToken: vi.fn(async () => "unused") };
    const ws = client({
      WebSocket: BrowserLikeWebSocket,
      auth,
      sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }),
    });
    const error = await rejection(ws.connect({ sessionId: ID, targetLanguage: "de" }));
    expect([error.status, error.code]).toEqual([0, "CONNECTION_FAILED"]);
    expect(handshakes).toBe(1);
    expect(auth.getToken).not.toHaveBeenCalled();
  });

  it("a refused speaker with an auth provider refreshes its token once and connects", async () => {
    scripted.server.refuse = (query) => (query.get("token") === "old" ? 401 : undefined);
    const auth = { getToken: vi.fn(async (force?: boolean) => (force ? "new" : "old")) };
    const ws = client({ auth });
    await ws.connect({ sessionId: ID });
    expect(scripted.server.connections[0]?.query.get("token")).toBe("new");
    expect(auth.getToken).toHaveBeenLastCalledWith(true);
  });
});
