// EventHub: the event handlers registered on a WebSocketClient (on/off), and calling them (a handler
// that throws is logged and does not stop the others).
import type { Logger } from "./util.js";
import type { WebSocketClientEvent, WebSocketClientEvents } from "./websocket-types.js";

export type Handler<K extends WebSocketClientEvent> = (event: WebSocketClientEvents[K]) => void;

export class EventHub {
  private readonly handlers = new Map<WebSocketClientEvent, Set<Handler<WebSocketClientEvent>>>();

  constructor(private readonly logger: Logger) {}

  add<K extends WebSocketClientEvent>(type: K, handler: Handler<K>): void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler as Handler<WebSocketClientEvent>);
  }

  remove<K extends WebSocketClientEvent>(type: K, handler: Handler<K>): void {
    this.handlers.get(type)?.delete(handler as Handler<WebSocketClientEvent>);
  }

  emit<K extends WebSocketClientEvent>(type: K, event: WebSocketClientEvents[K]): void {
    for (const handler of this.handlers.get(type) ?? []) {
      try {
        handler(event);
      } catch (error) {
        this.logger.warn(`[babelcast] a "${type}" handler threw`, error);
      }
    }
  }
}
