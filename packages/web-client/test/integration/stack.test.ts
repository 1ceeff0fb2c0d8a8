// @babelcast/web-client against the real local stack (the real Terraform applied onto the emulator,
// the local API Gateway running the functions' zips): Cognito SRP sign-in, the HTTP API, a listener
// and the speaker over real WebSockets, and the legacy creation path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { CognitoAuth } from "../../src/cognito.js";
import {
  ConnectionRefusedError,
  type HttpError,
  SESSION_ID_PATTERN,
  SessionCreationOrchestrator,
  type WebSocketClient,
} from "../../src/index.js";
import { BrowserLikeWebSocket } from "../support/server.js";
import { eventually, http, next, quiet, signInAs, socket, stack, tone } from "./stack.js";

let speaker: CognitoAuth;
let other: CognitoAuth;
const opened: WebSocketClient[] = [];
const track = (client: WebSocketClient) => {
  opened.push(client);
  return client;
};

beforeAll(async () => {
  [speaker, other] = await Promise.all([signInAs(stack.speaker), signInAs(stack.otherSpeaker)]);
});
afterAll(() => {
  for (const client of opened) client.close();
});

const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());
const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error("no error"),
    (e: unknown) => e,
  ) as Promise<HttpError>;

describe("Cognito SRP sign-in against the emulator", () => {
  it("gives the user pool's ID token, which the API accepts, and refreshes it with the refresh token", async () => {
    const token = await speaker.getToken();
    expect(claims(token)).toMatchObject({
      token_use: "id",
      aud: stack.userPoolClientId,
      iss: expect.stringContaining(stack.userPoolId),
    });
    await expect(http(speaker).listSessions()).resolves.toHaveProperty("sessions");
    const refreshed = await speaker.getToken(true);
    expect(claims(refreshed).token_use).toBe("id");
    await expect(http(speaker).listSessions({ limit: 1 })).resolves.toHaveProperty("nextToken");
  });
});

describe("sessions over HTTP", () => {
  it("create, get (public), update, list, analytics, delete", async () => {
    const api = http(speaker);
    const created = await api.createSession({ sourceLanguage: "en", qualityTier: "premium" });
    expect(created.sessionId).toMatch(SESSION_ID_PATTERN);
    expect(created).toMatchObject({ status: "active", qualityTier: "premium", listenerCount: 0, version: 1 });
    expect(created.speakerId).toBe(claims(await speaker.getToken()).sub);

    expect(await http().getSession(created.sessionId)).toEqual(created); // no token at all

    const paused = await api.updateSession(created.sessionId, { status: "paused" });
    expect([paused.status, paused.version]).toEqual(["paused", 2]);

    const page = await api.listSessions({ limit: 100, status: "paused" });
    expect(page.sessions.map((s) => s.sessionId)).toContain(created.sessionId);

    const analytics = await api.getSessionAnalytics(created.sessionId);
    expect(analytics).toMatchObject({ sessionId: created.sessionId, audioBytes: 0, currentListeners: 0 });

    await api.deleteSession(created.sessionId);
    await api.deleteSession(created.sessionId); // repeating it is fine
    expect((await http().getSession(created.sessionId)).status).toBe("ended");
  });

  it("errors a UI can branch on: 404 'not found', 403 'not authorized', 400 with the field, 401 without a token", async () => {
    const missing = await caught(http().getSession("holy-light-999"));
    expect([missing.status, missing.kind, missing.code]).toEqual([404, "notFound", "SESSION_NOT_FOUND"]);
    expect(missing.message).toContain("not found");
    expect(missing.correlationId).toMatch(/^web-/);

    const mine = await http(speaker).createSession({ sourceLanguage: "de" });
    const forbidden = await caught(http(other).updateSession(mine.sessionId, { status: "ended" }));
    expect([forbidden.status, forbidden.kind, forbidden.code]).toEqual([403, "forbidden", "FORBIDDEN"]);
    expect(forbidden.message).toContain("not authorized");

    const invalid = await caught(http(speaker).createSession({ sourceLanguage: "xx" as never }));
    expect([invalid.status, invalid.kind]).toEqual([400, "validation"]);
    expect(invalid.details.map((d) => d.field)).toContain("sourceLanguage");

    const bogus = { getToken: async () => "not-a-token" };
    const unauthorized = await caught(http(bogus as unknown as CognitoAuth).listSessions());
    expect([unauthorized.status, unauthorized.kind]).toEqual([401, "unauthorized"]);
    await http(speaker).deleteSession(mine.sessionId);
  });
});

describe("a speaker and a listener over real WebSockets", () => {
  it("listener joins, speaker pauses, resumes and streams audio (accepted), ending reaches both", async () => {
    const api = http(speaker);
    const session = await api.createSession({ sourceLanguage: "en" });
    const listener = track(socket());
    await listener.connect({ sessionId: session.sessionId, targetLanguage: "es" });
    const talker = track(socket({ auth: speaker, sessions: api }));
    await talker.connect({ sessionId: session.sessionId });
    expect((await http().getSession(session.sessionId)).listenerCount).toBe(1);

    const paused = next(listener, "sessionPaused");
    talker.pause();
    expect((await paused).sessionId).toBe(session.sessionId);
    const resumed = next(listener, "sessionResumed");
    talker.resume();
    expect((await resumed).status).toBe("active");

    const status = await talker.getSessionStatus();
    expect([status.role, status.session.sessionId]).toEqual(["speaker", session.sessionId]);
    expect((await listener.changeLanguage("fr")).targetLanguage).toBe("fr");

    const pcm = tone(1); // 32 000 bytes: two sendAudio messages of at most 32 KB
    expect(talker.sendAudio(pcm, 0)).toBe(2);
    const analytics = await eventually(
      () => api.getSessionAnalytics(session.sessionId),
      (a) => a.audioBytes >= pcm.byteLength,
    );
    expect([analytics.audioBytes, analytics.audioSeconds]).toEqual([32_000, 1]);

    const listenerEnded = next(listener, "closed");
    const speakerEnded = next(talker, "closed");
    const ended = next(listener, "sessionEnded");
    await api.deleteSession(session.sessionId);
    expect((await ended).reason).toBe("speaker");
    expect(await listenerEnded).toEqual({ reason: "sessionEnded" });
    expect(await speakerEnded).toEqual({ reason: "sessionEnded" });
    expect([listener.state, talker.state]).toEqual(["closed", "closed"]);
  });

  it("a refused connection says why, from the gateway's status or (as a browser) from GET /sessions/{id}", async () => {
    for (const WebSocketImpl of [WebSocket, BrowserLikeWebSocket]) {
      const unknown = await caught(
        track(socket({ WebSocket: WebSocketImpl })).connect({ sessionId: "holy-light-999", targetLanguage: "es" }),
      );
      expect(unknown).toBeInstanceOf(ConnectionRefusedError);
      expect([unknown.status, unknown.code]).toEqual([404, "SESSION_NOT_FOUND"]);
    }
    const session = await http(speaker).createSession({ sourceLanguage: "en" });
    const notOwner = await caught(track(socket({ auth: other })).connect({ sessionId: session.sessionId }));
    expect([notOwner.status, notOwner.code, notOwner.kind]).toEqual([403, "FORBIDDEN", "forbidden"]);
    await http(speaker).deleteSession(session.sessionId);
    for (const WebSocketImpl of [WebSocket, BrowserLikeWebSocket]) {
      const ended = await caught(
        track(socket({ WebSocket: WebSocketImpl })).connect({ sessionId: session.sessionId, targetLanguage: "es" }),
      );
      expect([ended.status, ended.code, ended.message]).toEqual([403, "SESSION_ENDED", "The session has ended."]);
    }
  });
});

describe("SessionCreationOrchestrator", () => {
  for (const useHttpSessionCreation of [true, false]) {
    it(`creates a session and connects the speaker (useHttpSessionCreation: ${useHttpSessionCreation})`, async () => {
      const orchestrator = new SessionCreationOrchestrator({
        httpApiUrl: stack.httpApiUrl,
        wsUrl: stack.websocketUrl,
        auth: speaker,
        useHttpSessionCreation,
        WebSocket,
        logger: quiet,
      });
      const result = await orchestrator.createSession({ sourceLanguage: "fr" });
      if (!result.success) throw result.error;
      track(result.wsClient);
      expect(result.method).toBe(useHttpSessionCreation ? "http" : "websocket");
      expect(result.sessionId).toMatch(SESSION_ID_PATTERN);
      expect(result.wsClient.sessionId).toBe(result.sessionId);
      const seen = await http().getSession(result.sessionId);
      expect([seen.status, seen.sourceLanguage]).toEqual(["active", "fr"]);
      result.wsClient.sendAudio(tone(0.1), 0);
      await eventually(
        () => http(speaker).getSessionAnalytics(result.sessionId),
        (a) => a.audioBytes === 3200,
      );
      result.wsClient.close();
      await http(speaker).deleteSession(result.sessionId);
    });
  }
});
