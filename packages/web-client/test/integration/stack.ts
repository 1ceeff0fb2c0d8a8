// The running local stack, as tests/integration/test_web_client.py describes it: the stack's
// endpoints document (the shape of .local/endpoints.json) plus a second speaker.
import { readFileSync } from "node:fs";
import { WebSocket } from "ws";
import { type CognitoAuth, signIn } from "../../src/cognito.js";
import {
  type Logger,
  SessionHttpService,
  WebSocketClient,
  type WebSocketClientEvent,
  type WebSocketClientEvents,
  type WebSocketClientOptions,
} from "../../src/index.js";

export interface Account {
  username: string;
  password: string;
}

export interface StackDocument {
  httpApiUrl: string;
  websocketUrl: string;
  awsEndpointUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  speaker: Account;
  otherSpeaker: Account;
}

function load(): StackDocument {
  const file = process.env.BABELCAST_ENDPOINTS_FILE;
  if (!file) {
    throw new Error(
      "BABELCAST_ENDPOINTS_FILE is not set: these tests run against the local stack, started by " +
        "`.venv/bin/python -m pytest tests/integration/test_web_client.py` (or `make test`).",
    );
  }
  return JSON.parse(readFileSync(file, "utf8")) as StackDocument;
}

export const stack = load();
export const quiet: Logger = { debug() {}, info() {}, warn() {} };

export function signInAs(account: Account): Promise<CognitoAuth> {
  return signIn({
    userPoolId: stack.userPoolId,
    clientId: stack.userPoolClientId,
    username: account.username,
    password: account.password,
    endpoint: stack.awsEndpointUrl,
  });
}

export function http(auth?: CognitoAuth): SessionHttpService {
  return new SessionHttpService({ apiBaseUrl: stack.httpApiUrl, auth, logger: quiet });
}

export function socket(options: Partial<WebSocketClientOptions> = {}): WebSocketClient {
  return new WebSocketClient({
    url: stack.websocketUrl,
    WebSocket,
    httpApiUrl: stack.httpApiUrl,
    logger: quiet,
    ...options,
  });
}

/** Resolves with the client's first `type` event, or rejects after `timeoutMs`. */
export function next<K extends WebSocketClientEvent>(
  client: WebSocketClient,
  type: K,
  timeoutMs = 15_000,
): Promise<WebSocketClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(type, (event) => {
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** Polls until `read` gives a value that `done` accepts. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `seconds` of 16 kHz mono 16-bit PCM: a 440 Hz tone. */
export function tone(seconds: number): Int16Array {
  return Int16Array.from({ length: Math.round(16_000 * seconds) }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)),
  );
}
