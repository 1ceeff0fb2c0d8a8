// HeartbeatTimer: the timers behind a WebSocketClient's heartbeats. Every `intervalMs` it asks for a
// heartbeat to be sent; when one was sent and no acknowledgement is awaited yet, it waits `timeoutMs`
// for acknowledge() and otherwise reports the connection dead.

export class HeartbeatTimer {
  private intervalTimer: ReturnType<typeof setInterval> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  /**
   * (Re)starts the timers (none when intervalMs <= 0). `beat` sends a heartbeat and returns what it was
   * sent on (undefined when nothing was sent); `dead` gets that when no acknowledgement came in time.
   */
  start<T>(beat: () => T | undefined, dead: (sentOn: T) => void): void {
    this.stop();
    if (this.intervalMs <= 0) return;
    this.intervalTimer = setInterval(() => {
      const sentOn = beat();
      if (sentOn === undefined) return;
      if (this.ackTimer !== undefined) return; // still waiting for the oldest unanswered heartbeat
      this.ackTimer = setTimeout(() => {
        this.ackTimer = undefined;
        dead(sentOn);
      }, this.timeoutMs);
    }, this.intervalMs);
  }

  /** A heartbeatAck came. */
  acknowledge(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  stop(): void {
    clearInterval(this.intervalTimer);
    clearTimeout(this.ackTimer);
    this.intervalTimer = undefined;
    this.ackTimer = undefined;
  }
}
