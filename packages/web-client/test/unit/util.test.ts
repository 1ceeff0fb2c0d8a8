// The small helpers: base64 both ways (checked against Node's Buffer), backoff, JWT expiry.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { backoffDelay, base64ToBytes, bytesToBase64, tokenExpiry } from "../../src/util.js";

describe("base64", () => {
  it("encodes and decodes every length as Buffer does", () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      const text = bytesToBase64(bytes);
      expect(text).toBe(bytes.toString("base64"));
      expect(Buffer.from(base64ToBytes(text)).equals(bytes)).toBe(true);
    }
  });

  it("decodes URL-safe text and skips other characters, as Buffer does (the emulator's SECRET_BLOCK is a UUID)", () => {
    for (const text of ["3f0c6f6e-4b1a-4c59-9a51-5f3a0e7f2d11", "a_b-c", "YWJj\nZA==", "YWJjZA"]) {
      expect(Buffer.from(base64ToBytes(text)).equals(Buffer.from(text, "base64")), text).toBe(true);
    }
  });
});

describe("backoffDelay", () => {
  const config = { initialDelay: 1000, maxDelay: 4000, backoffMultiplier: 2, jitter: 0.2 };
  it("doubles from the initial delay up to the cap, shortened by at most the jitter", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(config, n, () => 0))).toEqual([1000, 2000, 4000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(config, n, () => 1))).toEqual([800, 1600, 3200, 3200]);
  });
});

describe("tokenExpiry", () => {
  it("reads exp (in ms) without verifying; undefined for anything else", () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_700_000_000, name: "ü?>" })).toString("base64url");
    expect(tokenExpiry(`h.${payload}.s`)).toBe(1_700_000_000_000);
    expect(tokenExpiry("not a jwt")).toBeUndefined();
    expect(tokenExpiry(`h.${Buffer.from("{}").toString("base64url")}.s`)).toBeUndefined();
  });
});
