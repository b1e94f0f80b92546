/** Where a live run stands: what the progress line on stderr shows. */
export interface LiveProgress {
  readonly done: number;
  readonly total: number;
  readonly notRead: number;
  readonly elapsedMs: number;
  readonly tenantsPerSecond: number;
  /** Estimated from the rate so far; undefined before the first tenant is done. */
  readonly remainingMs: number | undefined;
  readonly requests: number;
  readonly retries: number;
  readonly throttled: number;
}

/** The figures of a finished live run: in the JSON summary, the SARIF run's properties and the summary line. */
export interface LiveSummary {
  readonly tenants: number;
  readonly read: number;
  readonly notRead: number;
  readonly concurrency: number;
  readonly elapsedMs: number;
  readonly tenantsPerSecond: number;
  readonly requests: number;
  readonly retries: number;
  readonly retryBudget: number;
  /** Answers with 429 Too Many Requests. */
  readonly throttled: number;
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function retries(n: number, throttled: number): string {
  return `${n} ${n === 1 ? "retry" : "retries"}${throttled > 0 ? ` (${throttled} throttled)` : ""}`;
}

/** `live: 412/1000 tenants, 83.1/s, about 7.1 s left, 12 retries (12 throttled)` */
export function formatLiveProgress(p: LiveProgress): string {
  const left = p.done === p.total ? "done" : p.remainingMs === undefined ? "time left unknown" : `about ${seconds(p.remainingMs)} left`;
  return `live: ${p.done}/${p.total} tenants, ${p.tenantsPerSecond.toFixed(1)}/s, ${left}, ${retries(p.retries, p.throttled)}${p.notRead > 0 ? `, ${p.notRead} not read` : ""}`;
}

/** The live part of the summary line. */
export function formatLiveSummary(s: LiveSummary): string {
  return `live: ${s.read}/${s.tenants} tenants read in ${seconds(s.elapsedMs)} (${s.tenantsPerSecond.toFixed(1)}/s, ${s.concurrency} at a time), ${s.requests} requests, ${retries(s.retries, s.throttled)} of a budget of ${s.retryBudget}`;
}

/**
 * Progress lines for a terminal: the first tenant done, then at most one line a second, and the last
 * one; a run of a thousand tenants prints a few dozen lines, not a thousand.
 */
export function progressPrinter(print: (line: string) => void, now: () => number = () => performance.now(), everyMs = 1000) {
  let last: number | undefined;
  return (p: LiveProgress): void => {
    const t = now();
    if (p.done !== p.total && last !== undefined && t - last < everyMs) return;
    last = t;
    print(formatLiveProgress(p));
  };
}
