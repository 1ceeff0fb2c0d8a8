// A scripted fetch: answers in order, records what was asked.
import { vi } from "vitest";

export interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  at: number;
}

type Answer = Response | Error | ((request: Recorded, signal: AbortSignal | undefined) => Response | Promise<Response>);

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function scriptedFetch(...answers: Answer[]) {
  const calls: Recorded[] = [];
  const queue = [...answers];
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const request: Recorded = {
      url: String(input),
      method: init?.method ?? "GET",
      headers,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
      at: Date.now(),
    };
    calls.push(request);
    const answer = queue.length > 1 ? queue.shift() : queue[0];
    if (answer === undefined) throw new Error("no scripted answer left");
    if (answer instanceof Error) throw answer;
    if (typeof answer === "function") return answer(request, init?.signal ?? undefined);
    return answer.clone();
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

/** A fetch that never answers until aborted (as a hung server). */
export function hangingFetch(request: Recorded, signal: AbortSignal | undefined): Promise<Response> {
  void request;
  return new Promise((_, reject) => {
    signal?.addEventListener("abort", () => reject(new DOMException("The operation was aborted.", "AbortError")));
  });
}

/** An unsigned JWT whose `exp` is `expiresInMs` from now (the client reads exp, the API verifies). */
export function jwt(expiresInMs: number, claims: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const exp = Math.floor((Date.now() + expiresInMs) / 1000);
  return `${encode({ alg: "RS256", kid: "test" })}.${encode({ sub: "speaker-1", exp, ...claims })}.signature`;
}

export const SESSION = {
  sessionId: "blessed-shepherd-427",
  speakerId: "speaker-1",
  sourceLanguage: "en",
  qualityTier: "standard",
  status: "active",
  listenerCount: 0,
  createdAt: 1710348000000,
  updatedAt: 1710348000000,
  expiresAt: 1710434400000,
  endedAt: null,
  endReason: null,
  version: 1,
} as const;

export const quiet = { debug: vi.fn(), info: vi.fn(), warn: vi.fn() };
