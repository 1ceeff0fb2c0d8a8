// A scripted WebSocket server on 127.0.0.1 (a free port): refuses or accepts each handshake as the
// test says, records every connection's query and messages, and lets the test speak for the server.
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

export interface Connection {
  query: URLSearchParams;
  socket: WebSocket;
  messages: Array<Record<string, unknown>>;
  closed: Promise<number>;
  send(message: Record<string, unknown>): void;
}

export interface ScriptedServer {
  url: string;
  connections: Connection[];
  /** Return a status to refuse the handshake (as API Gateway does on $connect), undefined to accept. */
  refuse: (query: URLSearchParams) => number | undefined;
  /** Called with every message a client sends (after it is recorded). */
  onMessage: (connection: Connection, message: Record<string, unknown>) => void;
  nextConnection(): Promise<Connection>;
  nextMessage(connection: Connection, action?: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function scriptedServer(): Promise<ScriptedServer> {
  const waiters: Array<(c: Connection) => void> = [];
  const messageWaiters: Array<{
    connection: Connection;
    action: string | undefined;
    resolve: (m: Record<string, unknown>) => void;
  }> = [];
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    verifyClient: (info: { req: IncomingMessage }, callback: (ok: boolean, status?: number) => void) => {
      const status = server.refuse(queryOf(info.req));
      if (status) callback(false, status);
      else callback(true);
    },
  });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const port = (wss.address() as AddressInfo).port;

  const server: ScriptedServer = {
    url: `ws://127.0.0.1:${port}/live`,
    connections: [],
    refuse: () => undefined,
    onMessage: (connection, message) => {
      if (message.action === "heartbeat") connection.send({ type: "heartbeatAck", timestamp: Date.now() });
    },
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    nextMessage: (connection, action) => {
      const already = connection.messages.find((m) => action === undefined || m.action === action);
      if (already) {
        connection.messages.splice(connection.messages.indexOf(already), 1);
        return Promise.resolve(already);
      }
      return new Promise((resolve) => messageWaiters.push({ connection, action, resolve }));
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const connection: Connection = {
      query: queryOf(request),
      socket,
      messages: [],
      closed: new Promise((resolve) => socket.once("close", (code: number) => resolve(code))),
      send: (message) => socket.send(JSON.stringify(message)),
    };
    server.connections.push(connection);
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      server.onMessage(connection, message);
      const waiter = messageWaiters.find(
        (w) => w.connection === connection && (w.action === undefined || w.action === message.action),
      );
      if (waiter) {
        messageWaiters.splice(messageWaiters.indexOf(waiter), 1);
        waiter.resolve(message);
      } else connection.messages.push(message);
    });
    waiters.shift()?.(connection);
  });
  return server;
}

function queryOf(request: IncomingMessage): URLSearchParams {
  return new URL(request.url ?? "/", "ws://localhost").searchParams;
}

/** What a browser shows of a refused handshake: close code 1006 and an error event with no detail. */
export class BrowserLikeWebSocket extends WebSocket {
  // biome-ignore lint/suspicious/noExplicitAny: matches the ws typings' overloads
  override addEventListener(type: any, listener: any, options?: any): void {
    if (type === "error") {
      super.addEventListener("error", () => listener({ type: "error" }), options);
      return;
    }
    super.addEventListener(type, listener, options);
  }
}

export const until = async (condition: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
