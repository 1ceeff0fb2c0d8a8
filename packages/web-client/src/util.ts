// Small helpers shared by the HTTP and WebSocket clients.

/** Where log lines go (the browser console by default). Never given a token. */
export interface Logger {
  debug(message: string, ...context: unknown[]): void;
  info(message: string, ...context: unknown[]): void;
  warn(message: string, ...context: unknown[]): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

/** Exponential backoff with jitter: `initialDelay * multiplier^(n-1)`, capped at `maxDelay`. */
export interface BackoffConfig {
  initialDelay: number;
  maxDelay: number;
  backoffMultiplier: number;
  /** The delay is shortened by a random fraction up to this (0.2: 80-100% of the nominal delay). */
  jitter: number;
}

/** The wait before retry number `retry` (1 for the first), in ms; never above `maxDelay`. */
export function backoffDelay(config: BackoffConfig, retry: number, random: () => number = Math.random): number {
  const nominal = Math.min(config.initialDelay * config.backoffMultiplier ** (retry - 1), config.maxDelay);
  return Math.round(nominal * (1 - config.jitter * random()));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A correlation id (`web-` + 32 hex digits): what the service logs with every line of a call. */
export function newCorrelationId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The `exp` claim of a JWT in epoch ms, read WITHOUT verifying it (the API verifies; we only
 * need to know when to refresh). Undefined when the token is not a readable JWT. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = new TextDecoder().decode(base64ToBytes(payload));
    const exp: unknown = JSON.parse(json).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 of bytes (btoa would need a binary string built first, twice the memory). */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      ALPHABET.charAt(n >> 18) +
      ALPHABET.charAt((n >> 12) & 63) +
      ALPHABET.charAt((n >> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${ALPHABET.charAt(n >> 18)}${ALPHABET.charAt((n >> 12) & 63)}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${ALPHABET.charAt(n >> 18)}${ALPHABET.charAt((n >> 12) & 63)}${ALPHABET.charAt((n >> 6) & 63)}=`;
  }
  return out;
}

/** Decodes base64 (standard or URL-safe) leniently, as Node's Buffer does: other characters are skipped. */
export function base64ToBytes(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text) {
    const digit = char === "-" ? 62 : char === "_" ? 63 : ALPHABET.indexOf(char);
    if (digit < 0) continue; // padding, whitespace
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, index);
}

/** Resolves after `ms`, or at once when the function handed to `onWake` is called. */
export function wakeableDelay(ms: number, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    onWake(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** `url` with the `params` that have a value (not undefined, not "") added to its query, in their order. */
export function withQuery(url: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  return `${url}${url.includes("?") ? "&" : "?"}${query}`;
}
