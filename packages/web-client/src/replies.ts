// ReplyRegistry: the requests of a WebSocketClient that wait for the server's answer (changeLanguage,
// getSessionStatus, createSession). Each waits at most `timeoutMs`, is settled by the first message it
// accepts (or rejected by an error message naming its action), and is rejected when the connection ends.
import { type BabelcastError, WebSocketError } from "./errors.js";
import type { ClientMessage, ErrorMessage, ServerMessage } from "./generated/messages.js";
import { messageError } from "./refusal.js";

interface PendingReply {
  accept(message: ServerMessage): boolean;
  action: string;
  resolve(message: ServerMessage): void;
  reject(error: BabelcastError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class ReplyRegistry {
  private readonly pending = new Set<PendingReply>();

  constructor(private readonly timeoutMs: number) {}

  /** Registers a reply to `message`, then sends it with `send`; resolves with the first message `accept` takes. */
  request<T extends ServerMessage>(
    message: ClientMessage,
    accept: (m: ServerMessage) => m is T,
    send: (message: ClientMessage) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: PendingReply = {
        accept,
        action: message.action,
        resolve: resolve as (m: ServerMessage) => void,
        reject,
        timer: setTimeout(() => {
          this.pending.delete(entry);
          reject(
            new WebSocketError({ kind: "timeout", userMessage: `No answer to ${message.action} in time: try again.` }),
          );
        }, this.timeoutMs),
      };
      this.pending.add(entry);
      try {
        send(message);
      } catch (error) {
        clearTimeout(entry.timer);
        this.pending.delete(entry);
        reject(error);
      }
    });
  }

  /** Settles the oldest pending reply that `message` answers (or refuses), if any. */
  settle(message: ServerMessage): void {
    for (const entry of this.pending) {
      const refused = message.type === "error" && "action" in message && message.action === entry.action;
      if (!refused && !entry.accept(message)) continue;
      clearTimeout(entry.timer);
      this.pending.delete(entry);
      if (refused) entry.reject(messageError(message as ErrorMessage));
      else entry.resolve(message);
      return;
    }
  }

  /** Rejects every pending reply with `error` (the connection ended). */
  rejectAll(error: BabelcastError): void {
    for (const entry of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }
}
