// A stand-in for Cognito's USER_SRP_AUTH that checks the password claim the way Cognito does:
// the server half of SRP-6a (Cognito's variant), written independently of the client's library with
// node:crypto and BigInt. A client whose maths is wrong, or a wrong password, is refused.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { jwt } from "./fetch.js";

const N = BigInt(
  `0x${"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"}`,
);
const g = 2n;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** Cognito's padding: even length, and a leading 00 when the top bit is set (positive in two's complement). */
function padHex(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}
const hashHex = (hex: string) => createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");
const k = BigInt(`0x${hashHex(padHex(N) + padHex(g))}`);

export interface FakeCognito {
  fetch: typeof fetch;
  calls: Array<{ target: string; body: Record<string, unknown> }>;
  /** Refresh tokens the pool accepts. */
  refreshTokens: Set<string>;
  tokenLifetimeMs: number;
}

export function fakeCognito(userPoolId: string, users: Record<string, string>): FakeCognito {
  const poolName = userPoolId.split("_")[1] as string;
  const pending = new Map<string, { username: string; userId: string; A: bigint; b: bigint; B: bigint; v: bigint }>();
  let issued = 0;
  const state: FakeCognito = {
    calls: [],
    refreshTokens: new Set(),
    tokenLifetimeMs: 3_600_000,
    fetch: (async (_url: string, init: RequestInit) => {
      const target = String(new Headers(init.headers).get("X-Amz-Target")).split(".")[1] as string;
      const body = JSON.parse(String(init.body)) as {
        AuthFlow?: string;
        AuthParameters: Record<string, string>;
        ChallengeResponses: Record<string, string>;
      };
      state.calls.push({ target, body });
      const refuse = (type: string) => new Response(JSON.stringify({ __type: type, message: "no" }), { status: 400 });
      const tokens = (refresh: boolean) => {
        issued += 1;
        const result: Record<string, unknown> = {
          IdToken: jwt(state.tokenLifetimeMs, { token_use: "id", n: issued }),
          AccessToken: jwt(state.tokenLifetimeMs, { token_use: "access", n: issued }),
          ExpiresIn: state.tokenLifetimeMs / 1000,
        };
        if (refresh) {
          result.RefreshToken = `refresh-${issued}`;
          state.refreshTokens.add(result.RefreshToken as string);
        }
        return new Response(JSON.stringify({ AuthenticationResult: result }), { status: 200 });
      };
      if (target === "InitiateAuth" && body.AuthFlow === "REFRESH_TOKEN_AUTH") {
        return state.refreshTokens.has(body.AuthParameters.REFRESH_TOKEN as string)
          ? tokens(false)
          : refuse("NotAuthorizedException");
      }
      if (target === "InitiateAuth" && body.AuthFlow === "USER_SRP_AUTH") {
        const username = body.AuthParameters.USERNAME as string;
        const password = users[username];
        if (password === undefined) return refuse("UserNotFoundException");
        const A = BigInt(`0x${body.AuthParameters.SRP_A}`);
        if (A % N === 0n) return refuse("InvalidParameterException");
        const userId = `id-of-${username}`;
        const salt = BigInt(`0x${randomBytes(16).toString("hex")}`);
        const inner = createHash("sha256").update(`${poolName}${userId}:${password}`).digest("hex");
        const x = BigInt(`0x${hashHex(padHex(salt) + inner)}`);
        const v = modPow(g, x, N);
        const b = BigInt(`0x${randomBytes(32).toString("hex")}`);
        const B = (k * v + modPow(g, b, N)) % N;
        const secretBlock = randomBytes(64).toString("base64");
        pending.set(secretBlock, { username, userId, A, b, B, v });
        return new Response(
          JSON.stringify({
            ChallengeName: "PASSWORD_VERIFIER",
            ChallengeParameters: {
              SALT: salt.toString(16),
              SRP_B: B.toString(16),
              USER_ID_FOR_SRP: userId,
              USERNAME: username,
              SECRET_BLOCK: secretBlock,
            },
          }),
          { status: 200 },
        );
      }
      if (target === "RespondToAuthChallenge") {
        const answer = body.ChallengeResponses;
        const session = pending.get(answer.PASSWORD_CLAIM_SECRET_BLOCK as string);
        if (!session || answer.USERNAME !== session.username) return refuse("NotAuthorizedException");
        if (
          !/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d{1,2} \d\d:\d\d:\d\d UTC \d{4}$/.test(
            answer.TIMESTAMP as string,
          )
        ) {
          return refuse("InvalidParameterException");
        }
        const u = BigInt(`0x${hashHex(padHex(session.A) + padHex(session.B))}`);
        const S = modPow((session.A * modPow(session.v, u, N)) % N, session.b, N);
        const prk = createHmac("sha256", Buffer.from(padHex(u), "hex"))
          .update(Buffer.from(padHex(S), "hex"))
          .digest();
        const key = createHmac("sha256", prk)
          .update(Buffer.concat([Buffer.from("Caldera Derived Key"), Buffer.from([1])]))
          .digest()
          .subarray(0, 16);
        const expected = createHmac("sha256", key)
          .update(
            Buffer.concat([
              Buffer.from(poolName),
              Buffer.from(session.userId),
              Buffer.from(answer.PASSWORD_CLAIM_SECRET_BLOCK as string, "base64"),
              Buffer.from(answer.TIMESTAMP as string),
            ]),
          )
          .digest("base64");
        pending.delete(answer.PASSWORD_CLAIM_SECRET_BLOCK as string);
        return expected === answer.PASSWORD_CLAIM_SIGNATURE ? tokens(true) : refuse("NotAuthorizedException");
      }
      return refuse("InvalidParameterException");
    }) as unknown as typeof fetch,
  };
  return state;
}
