// The Cognito SRP sign-in (`@babelcast/web-client/cognito`) against a stand-in that verifies the
// password claim with an independent implementation of the server's SRP maths.
import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signIn, srpTimestamp } from "../../src/cognito.js";
import { HttpError } from "../../src/index.js";
import { fakeCognito } from "../support/cognito.js";

const POOL = "eu-west-1_AbCdEf123";
const base = { userPoolId: POOL, clientId: "client-1", username: "ada", password: "Correct-Horse-9" };
const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error("no error"),
    (e: unknown) => e,
  ) as Promise<HttpError>;
const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());

afterEach(() => vi.useRealTimers());

describe("signIn with USER_SRP_AUTH", () => {
  it("proves the password without sending it, and gives the ID token", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const auth = await signIn({ ...base, fetch: cognito.fetch });
    expect(cognito.calls.map((c) => c.target)).toEqual(["InitiateAuth", "RespondToAuthChallenge"]);
    expect(JSON.stringify(cognito.calls)).not.toContain(base.password);
    expect(cognito.calls[0]?.body).toMatchObject({ AuthFlow: "USER_SRP_AUTH", ClientId: "client-1" });
    expect(claims(await auth.getToken()).token_use).toBe("id");
    expect(auth.username).toBe("ada");
  });

  it("gives the access token when asked", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const auth = await signIn({ ...base, token: "access", fetch: cognito.fetch });
    expect(claims(await auth.getToken()).token_use).toBe("access");
  });

  it("a wrong password fails the server's check: 401 'Incorrect username or password.'", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const error = await caught(signIn({ ...base, password: "wrong", fetch: cognito.fetch }));
    expect(error).toBeInstanceOf(HttpError);
    expect([error.status, error.kind, error.message]).toEqual([401, "unauthorized", "Incorrect username or password."]);
  });

  it("an unknown user gets the same answer (a sign-in form must not reveal who exists)", async () => {
    const cognito = fakeCognito(POOL, {});
    const error = await caught(signIn({ ...base, fetch: cognito.fetch }));
    expect(error.message).toBe("Incorrect username or password.");
  });

  it("calls the regional endpoint by default and the one given otherwise (the local emulator)", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const urls: string[] = [];
    const spy = (async (url: string, init: RequestInit) => {
      urls.push(url);
      return cognito.fetch(url, init);
    }) as typeof fetch;
    await signIn({ ...base, fetch: spy });
    await signIn({ ...base, fetch: spy, endpoint: "http://127.0.0.1:4566" });
    expect(urls).toEqual([
      "https://cognito-idp.eu-west-1.amazonaws.com/",
      "https://cognito-idp.eu-west-1.amazonaws.com/",
      "http://127.0.0.1:4566",
      "http://127.0.0.1:4566",
    ]);
  });
});

describe("keeping the token fresh", () => {
  it("reuses the token until it nears expiry, then refreshes it with the refresh token", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const cognito = fakeCognito(POOL, { ada: base.password });
    const auth = await signIn({ ...base, fetch: cognito.fetch });
    const first = await auth.getToken();
    expect(await auth.getToken()).toBe(first);
    vi.setSystemTime(Date.now() + cognito.tokenLifetimeMs - 30_000); // within the 60 s skew
    const second = await auth.getToken();
    expect(second).not.toBe(first);
    expect(cognito.calls.at(-1)?.body).toMatchObject({
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: "refresh-1" },
    });
    expect(cognito.calls).toHaveLength(3);
  });

  it("getToken(true) refreshes at once; concurrent callers share one refresh", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const auth = await signIn({ ...base, fetch: cognito.fetch });
    const [a, b] = await Promise.all([auth.getToken(true), auth.getToken(true)]);
    expect(a).toBe(b);
    expect(cognito.calls.filter((c) => c.body.AuthFlow === "REFRESH_TOKEN_AUTH")).toHaveLength(1);
  });

  it("a refused refresh token asks for a new sign-in (401), it does not keep the password", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const auth = await signIn({ ...base, fetch: cognito.fetch });
    cognito.refreshTokens.clear(); // revoked
    const error = await caught(auth.getToken(true));
    expect([error.status, error.message]).toEqual([401, "Your sign-in has expired: sign in again."]);
    expect(cognito.calls.filter((c) => c.target === "RespondToAuthChallenge")).toHaveLength(1);
  });

  it("signOut forgets the tokens", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const auth = await signIn({ ...base, fetch: cognito.fetch });
    auth.signOut();
    await expect(auth.getToken()).rejects.toMatchObject({ status: 401 });
  });
});

describe("secrets stay out of sight", () => {
  // what a console.log, a JSON.stringify (an error reporter, a state dump) or a devtools walk shows
  const shown = (auth: object) => [
    JSON.stringify(auth),
    inspect(auth, { showHidden: true, depth: 10, getters: true }),
    JSON.stringify(Object.values(auth)),
    JSON.stringify(Object.getOwnPropertyNames(auth).map((name) => (auth as Record<string, unknown>)[name])),
  ];

  it("the session keeps neither the password nor (visibly) the refresh token, and still refreshes", async () => {
    const cognito = fakeCognito(POOL, { ada: base.password });
    const auth = await signIn({ ...base, fetch: cognito.fetch });
    const [refreshToken] = [...cognito.refreshTokens];
    expect(refreshToken).toMatch(/^refresh-/);
    for (const text of shown(auth)) {
      expect(text).not.toContain(base.password);
      expect(text).not.toContain(refreshToken);
    }
    await auth.getToken(true); // the refresh token is still there, where only refresh reads it
    expect(cognito.calls.at(-1)?.body).toMatchObject({ AuthParameters: { REFRESH_TOKEN: refreshToken } });
    auth.signOut();
    for (const text of shown(auth)) expect(text).not.toMatch(/refresh-|Correct-Horse|\.signature/);
  });
});

describe("details", () => {
  it("the SRP timestamp is Cognito's format, day not padded, in UTC", () => {
    expect(srpTimestamp(new Date(Date.UTC(2024, 2, 3, 4, 5, 6)))).toBe("Sun Mar 3 04:05:06 UTC 2024");
    expect(srpTimestamp(new Date(Date.UTC(2025, 11, 31, 23, 59, 9)))).toBe("Wed Dec 31 23:59:09 UTC 2025");
  });

  it("a malformed user pool id is refused before any call", async () => {
    const cognito = fakeCognito(POOL, {});
    await expect(signIn({ ...base, userPoolId: "nope", fetch: cognito.fetch })).rejects.toThrow(TypeError);
    expect(cognito.calls).toHaveLength(0);
  });

  it("an unreachable Cognito is a network error", async () => {
    const fetch = (async () => {
      throw new TypeError("fetch failed");
    }) as unknown as typeof globalThis.fetch;
    const error = await caught(signIn({ ...base, fetch }));
    expect([error.kind, error.status]).toEqual(["network", 0]);
  });
});
