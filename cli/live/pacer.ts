import type { RequestPacer } from "../../components/exo/client";

export interface SharedPacerOptions {
  /** Most retries the whole run may make (--retry-budget). */
  readonly retryBudget: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** What the pacer saw, for progress and the summary. */
export interface PacerCounts {
  /** Attempts sent (first attempts and retries). */
  readonly requests: number;
  readonly retries: number;
  /** Answers with 429 Too Many Requests. */
  readonly throttled: number;
}

/**
 * One gate for every tenant's client in a live run. A 429 pauses every client until the service's
 * Retry-After has passed, not only the one that was throttled (which alone would leave the others
 * hammering a service that asked for a pause); they then resume spread over up to 250 ms. 5xx
 * answers are retried after each client's own jittered backoff. Every retry, of any kind, counts
 * against the run's one budget; once it is spent, a failing request fails and its tenant is named
 * under "Not read".
 */
export class SharedPacer implements RequestPacer {
  readonly retryBudget: number;
  #pausedUntil = 0;
  #requests = 0;
  #retries = 0;
  #throttled = 0;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: SharedPacerOptions) {
    this.retryBudget = options.retryBudget;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
  }

  get counts(): PacerCounts {
    return { requests: this.#requests, retries: this.#retries, throttled: this.#throttled };
  }

  /** When the shared pause ends (ms on the pacer's clock); 0 when there has been none. */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  async acquire(): Promise<(status: number | undefined) => void> {
    for (let wait = this.#pausedUntil - this.#now(); wait > 0; wait = this.#pausedUntil - this.#now()) {
      // Spread the restart a little, so that the paused clients do not all ask in the same instant.
      await this.#sleep(wait + Math.floor(this.#random() * Math.min(250, wait / 4)));
    }
    this.#requests++;
    return (status) => {
      if (status === 429) this.#throttled++;
    };
  }

  retry(status: number | undefined, delayMs: number): string | undefined {
    // The service's pace holds for everyone, whether or not this request is retried.
    if (status === 429) this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + delayMs);
    if (this.#retries >= this.retryBudget) return `the run's retry budget of ${this.retryBudget} retries is spent (--retry-budget)`;
    this.#retries++;
    return undefined;
  }
}
