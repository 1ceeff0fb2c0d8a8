// A scripted local WebSocket server per test, and WebSocketClients bound to it (closed after each test).
import { afterEach, beforeEach, expect } from "vitest";
import { WebSocket } from "ws";
import {
  ConnectionRefusedError,
  WebSocketClient,
  type WebSocketClientEvents,
  type WebSocketClientOptions,
} from "../../src/index.js";
import { quiet } from "./fetch.js";
import { type ScriptedServer, scriptedServer } from "./server.js";

const clients: WebSocketClient[] = [];
/** The current test's server (a new one for each test). */
export const scripted: { server: ScriptedServer } = { server: undefined as unknown as ScriptedServer };

beforeEach(async () => {
  scripted.server = await scriptedServer();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await scripted.server.close();
});

export function client(options: Partial<WebSocketClientOptions> = {}): WebSocketClient {
  const created = new WebSocketClient({
    url: scripted.server.url,
    WebSocket,
    logger: quiet,
    reconnect: { initialDelay: 10, maxDelay: 40, maxAttempts: 4 },
    ...options,
  });
  clients.push(created);
  return created;
}

export function record<K extends keyof WebSocketClientEvents>(
  ws: WebSocketClient,
  type: K,
): WebSocketClientEvents[K][] {
  const seen: WebSocketClientEvents[K][] = [];
  ws.on(type, (event) => seen.push(event));
  return seen;
}

export async function rejection(promise: Promise<unknown>): Promise<ConnectionRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionRefusedError);
  return error as ConnectionRefusedError;
}

export const ID = "blessed-shepherd-427";
