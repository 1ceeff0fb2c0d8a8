// WebSocketClient against a scripted local WebSocket server (the `ws` package on 127.0.0.1).

import type { AddressInfo } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import {
  ConnectionRefusedError,
  MAX_AUDIO_BYTES_PER_MESSAGE,
  MAX_MESSAGE_BYTES,
  SessionHttpService,
  WebSocketClient,
  WebSocketError,
} from "../../src/index.js";
import { json, quiet, SESSION, scriptedFetch } from "../support/fetch.js";
import { BrowserLikeWebSocket, scriptedServer, until } from "../support/server.js";

import { client, ID, record, rejection, scripted } from "../support/ws-client.js";

describe("connecting", () => {
  it("a speaker connects with sessionId and token; connect resolves once the socket is open", async () => {
    const ws = client();
    const connected = record(ws, "connected");
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, token: "tok" });
    const connection = await accepted;
    expect(ws.state).toBe("open");
    expect(Object.fromEntries(connection.query)).toEqual({ sessionId: ID, token: "tok" });
    expect(connected).toEqual([{ sessionId: ID, reconnected: false }]);
    expect(ws.role).toBe("speaker");
  });

  it("a listener connects with sessionId and targetLanguage, and no token", async () => {
    const ws = client();
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    expect(Object.fromEntries((await accepted).query)).toEqual({ sessionId: ID, targetLanguage: "es" });
    expect(ws.role).toBe("listener");
  });

  it("a malformed session id or an unsupported language is refused before any connection", async () => {
    const ws = client();
    expect((await rejection(ws.connect({ sessionId: "nope", targetLanguage: "es" }))).code).toBe("INVALID_SESSION_ID");
    const language = await rejection(ws.connect({ sessionId: ID, targetLanguage: "xx" as never }));
    expect(language.status).toBe(400);
    expect(language.message).toContain("Unsupported language 'xx'");
    expect(scripted.server.connections).toHaveLength(0);
  });

  it("without a global WebSocket (Node 20) the constructor says to pass one", () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    global.WebSocket = undefined;
    try {
      expect(() => new WebSocketClient({ url: scripted.server.url })).toThrow(/pass one/);
    } finally {
      global.WebSocket = saved;
    }
  });
});

describe("messages", () => {
  it("on(type) gets that type, typed; 'message' gets all; unknown types are pipeline 'translation' payloads", async () => {
    const ws = client();
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    const connection = await accepted;
    const paused = record(ws, "sessionPaused");
    const translations = record(ws, "translation");
    const all = record(ws, "message");
    const off = ws.on("sessionResumed", () => {
      throw new Error("removed handlers are not called");
    });
    off();
    connection.send({ type: "sessionPaused", sessionId: ID, status: "paused", timestamp: 5 });
    connection.send({ type: "sessionResumed", sessionId: ID, status: "active", timestamp: 6 });
    connection.send({ translatedText: "hola", sequence: 1 });
    await until(() => all.length === 3);
    expect(paused).toEqual([{ type: "sessionPaused", sessionId: ID, status: "paused", timestamp: 5 }]);
    expect(paused[0]?.status).toBe("paused");
    expect(translations).toEqual([{ translatedText: "hola", sequence: 1 }]);
  });

  it("sendAudio splits PCM into base64 messages of at most 32 KB, numbered from the sequence given", async () => {
    const ws = client();
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, token: "tok" });
    const connection = await accepted;
    const pcm = new Int16Array(40_000).map((_, i) => (i * 37) % 65536);
    const next = ws.sendAudio(pcm, 7);
    const expected = Math.ceil(pcm.byteLength / MAX_AUDIO_BYTES_PER_MESSAGE);
    expect(next).toBe(7 + expected);
    await until(() => connection.messages.length === expected);
    const frames = connection.messages.map((m) => JSON.stringify(m));
    // one frame per message: 8 header bytes (masked, 16-bit length) + the text within API Gateway's 32 KB
    for (const frame of frames) expect(8 + new TextEncoder().encode(frame).length).toBeLessThanOrEqual(32 * 1024);
    expect(MAX_MESSAGE_BYTES).toBe(32 * 1024 - 8);
    expect(connection.messages.map((m) => m.sequence)).toEqual([7, 8, 9, 10]);
    const decoded = Buffer.concat(connection.messages.map((m) => Buffer.from(String(m.audioData), "base64")));
    expect(decoded.equals(Buffer.from(pcm.buffer))).toBe(true);
    expect(connection.messages.every((m) => m.action === "sendAudio")).toBe(true);
  });

  it("sendAudio takes an ArrayBuffer too, and refuses an empty chunk or a bad sequence", async () => {
    const ws = client();
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, token: "tok" });
    const connection = await accepted;
    expect(ws.sendAudio(new Uint8Array([1, 2, 3, 4]).buffer, 0)).toBe(1);
    expect((await scripted.server.nextMessage(connection, "sendAudio")).audioData).toBe("AQIDBA==");
    expect(() => ws.sendAudio(new Int16Array(0), 1)).toThrow(RangeError);
    expect(() => ws.sendAudio(new Int16Array(2), -1)).toThrow(RangeError);
  });

  it("heartbeat, pause, resume send their actions; getSessionStatus and changeLanguage resolve with the reply", async () => {
    const ws = client();
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    const connection = await accepted;
    scripted.server.onMessage = (c, m) => {
      if (m.action === "getSessionStatus")
        c.send({ type: "sessionStatus", sessionId: ID, role: "listener", session: SESSION });
      if (m.action === "changeLanguage")
        c.send({ type: "sessionStatus", sessionId: ID, targetLanguage: m.targetLanguage });
    };
    ws.heartbeat();
    ws.pause();
    ws.resume();
    const status = await ws.getSessionStatus();
    expect(status.session.status).toBe("active");
    const changed = await ws.changeLanguage("fr");
    expect(changed.targetLanguage).toBe("fr");
    expect(connection.messages.map((m) => m.action)).toEqual([
      "heartbeat",
      "pauseBroadcast",
      "resumeBroadcast",
      "getSessionStatus",
      "changeLanguage",
    ]);
  });

  it("a refused request rejects with the server's code and a kind (error message with the same action)", async () => {
    const ws = client();
    await ws.connect({ sessionId: ID, token: "tok" });
    scripted.server.onMessage = (c, m) =>
      c.send({
        type: "error",
        code: "NOT_LISTENER",
        message: "Only listeners choose a target language.",
        action: m.action,
        requestId: "r-1",
      });
    const error = await ws.changeLanguage("fr").then(
      () => undefined,
      (e: unknown) => e as WebSocketError,
    );
    expect(error).toBeInstanceOf(WebSocketError);
    expect([error?.code, error?.kind, error?.correlationId]).toEqual(["NOT_LISTENER", "forbidden", "r-1"]);
    expect(error?.details).toEqual([]);
  });

  it("a RATE_LIMITED refusal says when to retry (retryAfter seconds as retryAfterMs)", async () => {
    const ws = client();
    await ws.connect({ token: "tok" });
    scripted.server.onMessage = (c, m) =>
      c.send({
        type: "error",
        code: "RATE_LIMITED",
        message: "Too many sessions created; retry in 42 s.",
        action: m.action,
        requestId: "r-3",
        retryAfter: 42,
      });
    const error = await ws.createSession({ sourceLanguage: "en" }).then(
      () => undefined,
      (e: unknown) => e as WebSocketError,
    );
    expect([error?.code, error?.kind, error?.retryAfterMs]).toEqual(["RATE_LIMITED", "rateLimited", 42_000]);
  });

  it("a VALIDATION_ERROR names each refused field: details, and the message a person sees", async () => {
    const ws = client();
    await ws.connect({ sessionId: ID, token: "tok" });
    scripted.server.onMessage = (c, m) =>
      c.send({
        type: "error",
        code: "VALIDATION_ERROR",
        message: "The request is invalid.",
        action: m.action,
        requestId: "r-2",
        details: [{ field: "targetLanguage", issue: "unsupported language; supported: en, es" }, { field: 3 }],
      });
    const error = await ws.changeLanguage("fr").then(
      () => undefined,
      (e: unknown) => e as WebSocketError,
    );
    expect([error?.code, error?.kind]).toEqual(["VALIDATION_ERROR", "validation"]);
    expect(error?.details).toEqual([{ field: "targetLanguage", issue: "unsupported language; supported: en, es" }]);
    expect(error?.userMessage).toBe("The request is invalid. targetLanguage: unsupported language; supported: en, es");
  });

  it("legacy: connect without sessionId, createSession over the socket; reconnections then use its id", async () => {
    const ws = client();
    const accepted = scripted.server.nextConnection();
    await ws.connect({ token: "tok" });
    const first = await accepted;
    expect(first.query.has("sessionId")).toBe(false);
    scripted.server.onMessage = (c, m) => {
      if (m.action === "createSession") c.send({ type: "sessionCreated", sessionId: ID, session: SESSION });
    };
    const session = await ws.createSession({ sourceLanguage: "en" });
    expect(session.sessionId).toBe(ID);
    expect(first.messages[0]).toEqual({ action: "createSession", sourceLanguage: "en", qualityTier: "standard" });
    const again = scripted.server.nextConnection();
    first.socket.terminate();
    expect((await again).query.get("sessionId")).toBe(ID);
  });
});

describe("staying connected", () => {
  it("heartbeats go out on a timer", async () => {
    const ws = client({ heartbeatIntervalMs: 20 });
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    const connection = await accepted;
    await until(() => connection.messages.filter((m) => m.action === "heartbeat").length >= 3);
  });

  it("a heartbeat without heartbeatAck means a dead connection: it reconnects", async () => {
    scripted.server.onMessage = () => {}; // never acknowledges
    const ws = client({ heartbeatIntervalMs: 20, heartbeatTimeoutMs: 30 });
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    await until(() => scripted.server.connections.length >= 2);
    expect(scripted.server.connections[1]?.query.get("sessionId")).toBe(ID);
  });

  it("reconnects with the same sessionId after the server drops it; what was sent meanwhile arrives after", async () => {
    const ws = client();
    const reconnecting = record(ws, "reconnecting");
    const connected = record(ws, "connected");
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, token: "tok" });
    const first = await accepted;
    const second = scripted.server.nextConnection();
    first.socket.terminate();
    await until(() => ws.state === "reconnecting");
    ws.sendAudio(new Int16Array([1, 2, 3]), 42);
    const reopened = await second;
    expect(Object.fromEntries(reopened.query)).toEqual({ sessionId: ID, token: "tok" });
    expect((await scripted.server.nextMessage(reopened, "sendAudio")).sequence).toBe(42);
    expect(reconnecting[0]).toMatchObject({ attempt: 1, closeCode: 1006 });
    expect(connected.map((c) => c.reconnected)).toEqual([false, true]);
  });

  it("audioAck and audienceUpdate are events; a drop resends, in order, the chunks never acknowledged", async () => {
    const ws = client();
    const acks = record(ws, "audioAck");
    const audience = record(ws, "audienceUpdate");
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, token: "tok" });
    const first = await accepted;
    for (const sequence of [1, 2, 3]) ws.sendAudio(new Int16Array([sequence]), sequence);
    await until(() => first.messages.length === 3);
    first.send({ type: "audioAck", sequence: 1, buffered: 0 });
    first.send({ type: "audienceUpdate", sessionId: ID, listenerCount: 3, languages: { es: 2, fr: 1 }, timestamp: 7 });
    await until(() => audience.length === 1);
    expect(acks).toEqual([{ type: "audioAck", sequence: 1, buffered: 0 }]);
    expect(audience[0]?.languages).toEqual({ es: 2, fr: 1 });
    expect([ws.acknowledged, ws.audioArriving]).toEqual([1, true]);
    const second = scripted.server.nextConnection();
    first.socket.terminate();
    await until(() => ws.state === "reconnecting");
    ws.sendAudio(new Int16Array([4]), 4); // queued while reconnecting: sent once, after the resent ones
    const reopened = await second;
    await until(() => reopened.messages.length === 3);
    expect(reopened.messages.map((m) => m.sequence)).toEqual([2, 3, 4]);
  });

  it("a dropped listener sends catchUp with the last sequence it saw and drops segments it has", async () => {
    const ws = client();
    const segments = record(ws, "translation");
    const completes = record(ws, "catchUpComplete");
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    const first = await accepted;
    for (const sequence of [1, 2]) first.send({ type: "translation", translatedText: `t${sequence}`, sequence });
    await until(() => segments.length === 2);
    const second = scripted.server.nextConnection();
    first.socket.terminate();
    const reopened = await second;
    expect(await scripted.server.nextMessage(reopened, "catchUp")).toEqual({ action: "catchUp", afterSequence: 2 });
    for (const sequence of [2, 3]) reopened.send({ type: "translation", sequence, replayed: true });
    reopened.send({ type: "catchUpComplete", lastSequence: 3, replayed: 2 });
    reopened.send({ type: "translation", sequence: 3 }); // live, and replayed already
    reopened.send({ type: "translation", sequence: 4 });
    await until(() => segments.length === 4);
    expect(segments.map((s) => [s.sequence, s.replayed ?? false])).toEqual([
      [1, false],
      [2, false],
      [3, true],
      [4, false],
    ]);
    expect([completes.length, ws.lastSequence]).toEqual([1, 4]);
  });

  it("connectionRefreshRequired: the new connection opens (same sessionId) before the old one closes", async () => {
    const ws = client();
    const reconnecting = record(ws, "reconnecting");
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "it" });
    const first = await accepted;
    const second = scripted.server.nextConnection();
    let firstClosedBeforeSecond = false;
    void first.closed.then(() => {
      firstClosedBeforeSecond = scripted.server.connections.length < 2;
    });
    first.send({ type: "connectionRefreshRequired", reason: "max connection duration", sessionId: ID, timestamp: 1 });
    const fresh = await second;
    expect(Object.fromEntries(fresh.query)).toEqual({ sessionId: ID, targetLanguage: "it" });
    expect(await first.closed).toBe(1000);
    expect(firstClosedBeforeSecond).toBe(false);
    expect(reconnecting).toEqual([]);
    ws.heartbeat();
    expect((await scripted.server.nextMessage(fresh, "heartbeat")).action).toBe("heartbeat");
  });

  it("a dropped speaker whose token expired meanwhile refreshes it once and carries on", async () => {
    let valid = "first";
    scripted.server.refuse = (query) => (query.get("token") === valid ? undefined : 401);
    const auth = { getToken: vi.fn(async (force?: boolean) => (force ? "second" : "first")) };
    const ws = client({ auth });
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID });
    valid = "second";
    const second = scripted.server.nextConnection();
    (await accepted).socket.terminate();
    expect((await second).query.get("token")).toBe("second");
    await until(() => ws.state === "open");
  });

  it("in a browser (a bare 1006) too, when the session is live: one forced refresh, then it carries on", async () => {
    let valid = "first";
    scripted.server.refuse = (query) => (query.get("token") === valid ? undefined : 401);
    const auth = { getToken: vi.fn(async (force?: boolean) => (force ? "second" : "first")) };
    const { fetch } = scriptedFetch(json(200, SESSION));
    const sessions = new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet });
    const ws = client({ auth, sessions, WebSocket: BrowserLikeWebSocket });
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID });
    valid = "second";
    (await accepted).socket.terminate();
    await until(() => scripted.server.connections.length === 2 || ws.state === "closed");
    expect(scripted.server.connections[1]?.query.get("token")).toBe("second");
    await until(() => ws.state === "open");
  });
});

describe("stopping for good", () => {
  it("sessionEnded: closed with reason sessionEnded, and no reconnection", async () => {
    const ws = client();
    const closed = record(ws, "closed");
    const ended = record(ws, "sessionEnded");
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    const connection = await accepted;
    connection.send({ type: "sessionEnded", sessionId: ID, reason: "speaker", timestamp: 9 });
    await until(() => closed.length === 1);
    expect(ended[0]?.reason).toBe("speaker");
    expect(closed[0]).toEqual({ reason: "sessionEnded" });
    expect(await connection.closed).toBe(1000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(scripted.server.connections).toHaveLength(1);
    expect(() => ws.heartbeat()).toThrow(WebSocketError);
  });

  for (const [status, code] of [
    [403, "SESSION_ENDED"],
    [404, "SESSION_NOT_FOUND"],
    [400, "VALIDATION_ERROR"],
  ] as const) {
    it(`a ${status} refusal while reconnecting stops it (${code})`, async () => {
      const { fetch } = scriptedFetch(
        status === 404 ? json(404, {}) : json(200, { ...SESSION, status: status === 403 ? "ended" : "active" }),
      );
      const ws = client({ sessions: new SessionHttpService({ apiBaseUrl: "http://api.test", fetch, logger: quiet }) });
      const closed = record(ws, "closed");
      const accepted = scripted.server.nextConnection();
      await ws.connect({ sessionId: ID, targetLanguage: "es" });
      let refusals = 0;
      scripted.server.refuse = () => {
        refusals += 1;
        return status;
      };
      (await accepted).socket.terminate();
      await until(() => closed.length === 1);
      expect(closed[0]?.reason).toBe("refused");
      expect(closed[0]?.error).toBeInstanceOf(ConnectionRefusedError);
      const error = closed[0]?.error as ConnectionRefusedError;
      expect([error.status, error.code]).toEqual([status, code]);
      expect(refusals).toBe(1);
      expect(ws.state).toBe("closed");
    });
  }

  it("gives up after maxAttempts when the server stays unreachable", async () => {
    const ws = client();
    const closed = record(ws, "closed");
    const reconnecting = record(ws, "reconnecting");
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    await scripted.server.close(); // nothing listens any more
    await until(() => closed.length === 1);
    expect(reconnecting.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    expect(closed[0]?.reason).toBe("failed");
    expect(closed[0]?.error?.message).toContain("could not be reopened after 4 attempts");
    scripted.server = await scriptedServer(); // for afterEach
  });

  it("close() closes with 1000 and never reconnects; pending replies are rejected", async () => {
    const ws = client();
    const closed = record(ws, "closed");
    const accepted = scripted.server.nextConnection();
    await ws.connect({ sessionId: ID, targetLanguage: "es" });
    const connection = await accepted;
    scripted.server.onMessage = () => {};
    const status = ws.getSessionStatus();
    ws.close();
    await expect(status).rejects.toBeInstanceOf(WebSocketError);
    expect(await connection.closed).toBe(1000);
    expect(closed).toEqual([{ reason: "client" }]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(scripted.server.connections).toHaveLength(1);
  });
});

describe("edge cases", () => {
  it("close() during the handshake wins: connect rejects and the socket is closed, not adopted", async () => {
    const ws = client();
    const accepted = scripted.server.nextConnection();
    const connecting = ws.connect({ sessionId: ID, targetLanguage: "es" });
    ws.close();
    await expect(connecting).rejects.toBeInstanceOf(WebSocketError);
    expect(await (await accepted).closed).toBe(1000);
    expect(ws.state).toBe("closed");
  });

  it("a handshake slower than openTimeoutMs is a timeout, and leaves no connection open", async () => {
    const slow = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      verifyClient: (_info: unknown, done: (ok: boolean) => void) => setTimeout(() => done(true), 150),
    });
    await new Promise((resolve) => slow.once("listening", resolve));
    try {
      const ws = client({ url: `ws://127.0.0.1:${(slow.address() as AddressInfo).port}/live`, openTimeoutMs: 50 });
      const error = await rejection(ws.connect({ sessionId: ID, targetLanguage: "es" }));
      expect([error.kind, error.code, error.status]).toEqual(["timeout", "TIMEOUT", 0]);
      expect(ws.state).toBe("closed");
      await new Promise((resolve) => setTimeout(resolve, 300)); // past the server's answer
      expect([...slow.clients].filter((c) => c.readyState === WebSocket.OPEN)).toHaveLength(0);
    } finally {
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
