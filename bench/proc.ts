import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export interface ProcResult {
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly wallMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak RSS of the command (MiB), from /usr/bin/time -v when `measureRss` was asked. */
  readonly maxRssMiB?: number;
  readonly timedOut: boolean;
}

export const GNU_TIME = "/usr/bin/time";
const RUN_MARKER = "MFG_BENCH_RUN";
let runs = 0;

/** Kills every process still carrying this run's marker (Linux /proc); returns how many. */
export function killLeftovers(marker: string): number {
  let killed = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`${RUN_MARKER}=${marker}`)) continue;
      process.kill(Number(entry), "SIGKILL");
      killed++;
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  if (killed > 0) process.stderr.write(`bench: killed ${killed} process(es) left behind by run ${marker}\n`);
  return killed;
}
export const HAVE_GNU_TIME = existsSync(GNU_TIME);

/**
 * Runs a command, never throws on a non-zero exit. With `measureRss`, wraps it in `/usr/bin/time -v`
 * (the peak RSS of the process tree's largest process) when present; the wrapper's own start-up is
 * a few milliseconds and is included in the wall time.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; measureRss?: boolean; timeoutMs?: number } = {},
): Promise<ProcResult> {
  const wrap = options.measureRss === true && HAVE_GNU_TIME;
  const [cmd, argv] = wrap ? [GNU_TIME, ["-v", command, ...args]] : [command, [...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Every process of this run carries the marker in its environment, so that whatever it leaves
    // behind (an orphaned program after a CLI crash, reparented away from the tree) can be found.
    const marker = `${process.pid}-${++runs}`;
    const child = spawn(cmd, argv, {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env), [RUN_MARKER]: marker },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let peakBeforeKill: number | undefined;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            // The peak RSS so far of the process tree (GNU time dies with it and reports nothing).
            peakBeforeKill = treePeakRssMiB(child.pid);
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const wallMs = performance.now() - started;
      killLeftovers(marker);
      if (timer) clearTimeout(timer);
      let stderr = Buffer.concat(err).toString("utf8");
      let maxRssMiB: number | undefined = peakBeforeKill;
      if (wrap) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        if (m) maxRssMiB = Number(m[1]) / 1024;
        const at = stderr.lastIndexOf("\tCommand being timed:");
        if (at >= 0) stderr = stderr.slice(0, at);
      }
      resolve({
        code: code ?? -1,
        signal,
        wallMs,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr,
        ...(maxRssMiB === undefined ? {} : { maxRssMiB }),
        timedOut,
      });
    });
  });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Largest VmHWM (peak RSS) among a process and its descendants, from /proc (Linux); undefined elsewhere. */
function treePeakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let peak: number | undefined;
  const visit = (p: number) => {
    try {
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? Number.NaN);
      if (!Number.isNaN(kb)) peak = Math.max(peak ?? 0, kb / 1024);
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // gone, or not Linux
    }
  };
  visit(pid);
  return peak;
}
