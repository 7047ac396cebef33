// Reconnect delays: exponential backoff with full jitter (AWS Architecture
// Blog, "Exponential Backoff And Jitter"). The delay is uniform in
// [0, min(cap, base * 2^attempt)], so after a server restart thousands of
// clients spread their reconnects instead of arriving together.

export interface BackoffOptions {
  /** First ceiling, in ms (default 500). */
  baseMs?: number;
  /** Largest ceiling, in ms (default 30000). */
  maxMs?: number;
  /** Injectable for tests; defaults to Math.random. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.maxMs = options.maxMs ?? 30000;
    this.random = options.random ?? Math.random;
  }

  /** The next delay in ms; each call widens the window up to the cap. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  /** After a connection that worked, start again from the smallest window. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
