/**
 * Rate limiting between the training session and the panel: events arrive as fast as the
 * worker sends them; the webview gets them bundled, at most one message per interval
 * (50 ms = 20 messages/s), so a fast run cannot flood the host's IPC or the webview's thread.
 * Nothing is dropped: the curves need every point. No vscode import (unit-tested with a fake clock).
 */
import type { TrainEvent } from '../../protocol/index';

/** A clock the tests can drive. */
export interface Timers {
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The panel's budget: at most 20 messages a second. */
export const PANEL_MESSAGE_INTERVAL_MS = 50;

/** Bundles events and posts them at most once per interval. */
export class EventCoalescer {
  private queue: TrainEvent[] = [];
  private timer: unknown;
  private lastPost = -Infinity;

  constructor(
    private readonly post: (events: TrainEvent[]) => void,
    private readonly intervalMs = PANEL_MESSAGE_INTERVAL_MS,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Queue an event; it goes out with the next bundle. */
  push(e: TrainEvent): void {
    this.queue.push(e);
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastPost + this.intervalMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Post what is queued now (still counts against the rate). */
  flush(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.queue.length) return;
    const events = this.queue;
    this.queue = [];
    this.lastPost = this.timers.now();
    this.post(events);
  }

  /** Drop what is queued (a reset replaces it). */
  clear(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  /** Events waiting to go out. */
  get pending(): number {
    return this.queue.length;
  }
}
