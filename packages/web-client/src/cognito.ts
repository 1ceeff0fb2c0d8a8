// `@babelcast/web-client/cognito`: sign a speaker in to a Cognito user pool with SRP (USER_SRP_AUTH,
// the flow a deployed pool allows: the password never leaves the device) and keep the token fresh
// with the refresh token. The SRP maths is amazon-cognito-identity-js's AuthenticationHelper; this
// file only makes the two Cognito calls, with a timeout, an endpoint you choose (the local emulator)
// and typed errors. Nothing is written to localStorage: tokens live in memory.
import * as sha256 from "@aws-crypto/sha256-js";
import { AuthenticationHelper as SrpHelperClass } from "amazon-cognito-identity-js";
import { HttpError, networkError } from "./errors.js";
import type { AuthProvider } from "./http.js";
import { base64ToBytes, bytesToBase64, tokenExpiry } from "./util.js";

export interface CognitoSignInOptions {
  /** e.g. `eu-west-1_AbCdEf123` (the `user_pool_id` output; `userPoolId` in .local/endpoints.json). */
  userPoolId: string;
  /** The app client (no secret): the `user_pool_client_id` output; `userPoolClientId` locally. */
  clientId: string;
  username: string;
  password: string;
  /** Default: the pool id's prefix. */
  region?: string | undefined;
  /** Default `https://cognito-idp.<region>.amazonaws.com/`; the local stack's `awsEndpointUrl` locally. */
  endpoint?: string | undefined;
  /** Which token getToken gives (the API accepts both): "id" (default) or "access". */
  token?: "id" | "access" | undefined;
  /** A token expiring within this many ms is refreshed first (default 60 000). */
  refreshBeforeExpiryMs?: number | undefined;
  /** Per Cognito call (default 10 000 ms). */
  timeoutMs?: number | undefined;
  fetch?: typeof fetch | undefined;
}

export interface CognitoTokens {
  idToken: string;
  accessToken: string;
  /** When the token getToken gives expires (epoch ms). */
  expiresAt: number;
}

/** An AuthProvider for SessionHttpService, WebSocketClient and the orchestrator. */
export interface CognitoAuth extends AuthProvider {
  readonly username: string;
  /** The current tokens (refreshed by getToken). */
  readonly tokens: CognitoTokens;
  /** Forget the tokens: later getToken calls fail until the next sign-in. */
  signOut(): void;
}

interface AuthenticationResult {
  IdToken: string;
  AccessToken: string;
  RefreshToken?: string | undefined;
  ExpiresIn?: number | undefined;
}

// The parts of the SRP helper used here (the package's typings do not declare it).
interface BigIntegerLike {
  toString(radix: number): string;
}
interface SrpHelper {
  N: { constructor: new (hex: string, radix: number) => BigIntegerLike };
  getLargeAValue(callback: (error: unknown, value: BigIntegerLike) => void): void;
  getPasswordAuthenticationKey(
    username: string,
    password: string,
    serverB: BigIntegerLike,
    salt: BigIntegerLike,
    callback: (error: unknown, key: Uint8Array) => void,
  ): void;
}
interface HashConstructor {
  new (secret?: Uint8Array): { update(data: Uint8Array): void; digestSync(): Uint8Array };
}
// A CommonJS package: named exports in bundlers, under `default` in Node's ESM loader
const fromPackage = <T>(namespace: unknown, name: string): T => {
  const ns = namespace as Record<string, unknown> & { default?: Record<string, unknown> };
  return (ns[name] ?? ns.default?.[name]) as T;
};
// a named import (not the namespace) so bundlers drop the rest of the package
const AuthenticationHelper = SrpHelperClass as unknown as new (poolName: string) => SrpHelper;
const Sha256 = fromPackage<HashConstructor>(sha256, "Sha256");

const utf8 = (text: string) => new TextEncoder().encode(text);
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Cognito's SRP timestamp: `ddd MMM D HH:mm:ss UTC YYYY`, day not padded. */
export function srpTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return `${WEEKDAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()} ${time} UTC ${date.getUTCFullYear()}`;
}

/** The PASSWORD_VERIFIER answer: HMAC-SHA256 over pool name, user id, secret block and timestamp,
 * keyed with the SRP-derived key. Exported for the tests that verify it like Cognito does. */
export function passwordClaim(
  helper: SrpHelper,
  poolName: string,
  challenge: { USER_ID_FOR_SRP: string; SRP_B: string; SALT: string; SECRET_BLOCK: string },
  password: string,
  timestamp: string,
): string {
  const BigInteger = helper.N.constructor;
  let key: Uint8Array | undefined;
  let failure: unknown;
  helper.getPasswordAuthenticationKey(
    challenge.USER_ID_FOR_SRP,
    password,
    new BigInteger(challenge.SRP_B, 16),
    new BigInteger(challenge.SALT, 16),
    (error, value) => {
      failure = error;
      key = value;
    },
  );
  if (failure || !key) throw failure ?? new Error("SRP key derivation failed");
  const secretBlock = base64ToBytes(challenge.SECRET_BLOCK);
  const parts = [utf8(poolName), utf8(challenge.USER_ID_FOR_SRP), secretBlock, utf8(timestamp)];
  const message = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  const hmac = new Sha256(key);
  hmac.update(message);
  return bytesToBase64(hmac.digestSync());
}

/** A fresh SRP client state for the pool (exported for tests). */
export function srpHelper(userPoolId: string): { helper: SrpHelper; poolName: string; srpA: string } {
  const poolName = userPoolId.split("_")[1] ?? "";
  const helper = new AuthenticationHelper(poolName);
  let srpA = "";
  helper.getLargeAValue((error, value) => {
    if (error) throw error;
    srpA = value.toString(16);
  });
  return { helper, poolName, srpA };
}

/** Signs in with USER_SRP_AUTH and returns an AuthProvider that refreshes its token. */
export async function signIn(options: CognitoSignInOptions): Promise<CognitoAuth> {
  if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(options.userPoolId))
    throw new TypeError("userPoolId looks like 'eu-west-1_AbCdEf123'.");
  const region = options.region ?? options.userPoolId.split("_")[0];
  const call = caller(options.endpoint ?? `https://cognito-idp.${region}.amazonaws.com/`, {
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
  });
  const { helper, poolName, srpA } = srpHelper(options.userPoolId);
  const started = await call("InitiateAuth", {
    AuthFlow: "USER_SRP_AUTH",
    ClientId: options.clientId,
    AuthParameters: { USERNAME: options.username, SRP_A: srpA },
  });
  if (started.ChallengeName !== "PASSWORD_VERIFIER") throw unsupportedChallenge(started.ChallengeName);
  const challenge = started.ChallengeParameters as Record<
    "USER_ID_FOR_SRP" | "SRP_B" | "SALT" | "SECRET_BLOCK",
    string
  > & {
    USERNAME?: string;
  };
  const timestamp = srpTimestamp(new Date());
  const answered = await call("RespondToAuthChallenge", {
    ChallengeName: "PASSWORD_VERIFIER",
    ClientId: options.clientId,
    ...(started.Session ? { Session: started.Session } : {}),
    ChallengeResponses: {
      // as Amplify does: the canonical username answers; the proof is made for the SRP user id
      USERNAME: challenge.USERNAME ?? challenge.USER_ID_FOR_SRP,
      PASSWORD_CLAIM_SECRET_BLOCK: challenge.SECRET_BLOCK,
      TIMESTAMP: timestamp,
      PASSWORD_CLAIM_SIGNATURE: passwordClaim(helper, poolName, challenge, options.password, timestamp),
    },
  });
  const result = answered.AuthenticationResult as AuthenticationResult | undefined;
  if (!result) throw unsupportedChallenge(answered.ChallengeName);
  // the session keeps what refreshing needs, never the options (they hold the password)
  const settings: RefreshSettings = {
    clientId: options.clientId,
    token: options.token ?? "id",
    refreshBeforeExpiryMs: options.refreshBeforeExpiryMs ?? 60_000,
  };
  return new CognitoSession(options.username, settings, call, result);
}

type Call = (target: string, body: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** What refreshing needs of the sign-in options (never the password). */
interface RefreshSettings {
  clientId: string;
  token: "id" | "access";
  refreshBeforeExpiryMs: number;
}

// Secrets live in #private fields: JSON.stringify, Object.values, console.log and a spread of the
// object show none of them (only `username`), so logging or reporting `auth` leaks no token.
class CognitoSession implements CognitoAuth {
  readonly username: string;
  readonly #settings: RefreshSettings;
  readonly #call: Call;
  #current: CognitoTokens;
  #refreshToken: string | undefined;
  #refreshing: Promise<CognitoTokens> | undefined;

  constructor(username: string, settings: RefreshSettings, call: Call, result: AuthenticationResult) {
    this.username = username;
    this.#settings = settings;
    this.#call = call;
    this.#refreshToken = result.RefreshToken;
    this.#current = this.#tokensFrom(result);
  }

  get tokens(): CognitoTokens {
    return this.#current;
  }

  async getToken(forceRefresh = false): Promise<string> {
    if (forceRefresh || Date.now() >= this.#current.expiresAt - this.#settings.refreshBeforeExpiryMs)
      this.#current = await this.#refresh();
    return this.#settings.token === "access" ? this.#current.accessToken : this.#current.idToken;
  }

  signOut(): void {
    this.#refreshToken = undefined;
    this.#current = { idToken: "", accessToken: "", expiresAt: 0 };
  }

  /** What JSON.stringify shows: who is signed in, never a token. */
  toJSON(): { username: string } {
    return { username: this.username };
  }

  /** One refresh at a time: concurrent callers share it. */
  #refresh(): Promise<CognitoTokens> {
    this.#refreshing ??= (async () => {
      try {
        if (!this.#refreshToken) throw signInAgain();
        const answer = await this.#call("InitiateAuth", {
          AuthFlow: "REFRESH_TOKEN_AUTH",
          ClientId: this.#settings.clientId,
          AuthParameters: { REFRESH_TOKEN: this.#refreshToken },
        });
        const result = answer.AuthenticationResult as AuthenticationResult | undefined;
        if (!result) throw signInAgain();
        if (result.RefreshToken) this.#refreshToken = result.RefreshToken;
        return this.#tokensFrom(result);
      } catch (error) {
        // a refused refresh token (expired, revoked) means a new sign-in; anything else may pass
        if (error instanceof HttpError && error.status === 401) throw signInAgain();
        throw error;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #tokensFrom(result: AuthenticationResult): CognitoTokens {
    const token = this.#settings.token === "access" ? result.AccessToken : result.IdToken;
    const expiresAt = tokenExpiry(token) ?? Date.now() + (result.ExpiresIn ?? 3600) * 1000;
    return { idToken: result.IdToken, accessToken: result.AccessToken, expiresAt };
  }
}

/** Cognito's JSON protocol: POST with X-Amz-Target; errors are `{__type, message}`. */
function caller(endpoint: string, options: Pick<CognitoSignInOptions, "fetch" | "timeoutMs">): Call {
  // only what each call needs: the closure outlives signIn, so it must not hold the password
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (target, body) => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetcher(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
        },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (cause) {
      throw networkError(timedOut, { cause });
    } finally {
      clearTimeout(timer);
    }
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: judged by the status below
    }
    if (response.ok) return parsed;
    throw cognitoError(
      response.status,
      String(parsed.__type ?? parsed.code ?? "")
        .split("#")
        .pop() ?? "",
    );
  };
}

function cognitoError(status: number, type: string): HttpError {
  switch (type) {
    case "NotAuthorizedException":
    case "UserNotFoundException": // said the same way: a sign-in form must not reveal which users exist
      return new HttpError({ status: 401, code: "UNAUTHORIZED", userMessage: "Incorrect username or password." });
    case "UserNotConfirmedException":
      return new HttpError({ status: 403, code: "USER_NOT_CONFIRMED", userMessage: "Confirm your account first." });
    case "PasswordResetRequiredException":
      return new HttpError({ status: 403, code: "PASSWORD_RESET_REQUIRED", userMessage: "Reset your password first." });
    case "TooManyRequestsException":
    case "LimitExceededException":
      return new HttpError({ status: 429, code: "RATE_LIMITED" });
    case "ResourceNotFoundException":
      return new HttpError({
        status: 400,
        code: "COGNITO_CONFIGURATION",
        userMessage: "The sign-in is misconfigured (unknown user pool or app client).",
      });
    default:
      return new HttpError({
        status: status >= 500 ? status : 400,
        code: type || "COGNITO_ERROR",
        userMessage: "Signing in failed: try again.",
      });
  }
}

function unsupportedChallenge(name: unknown): HttpError {
  return new HttpError({
    status: 403,
    code: typeof name === "string" ? name : "UNSUPPORTED_CHALLENGE",
    kind: "forbidden",
    userMessage: `Cognito asks for a step this sign-in does not support (${String(name)}): finish it in the hosted UI or the AWS console.`,
  });
}

function signInAgain(): HttpError {
  return new HttpError({ status: 401, code: "UNAUTHORIZED", userMessage: "Your sign-in has expired: sign in again." });
}
