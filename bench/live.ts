import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LiveSummary } from "../cli/live/summary";
import { HAVE_GNU_TIME, type ProcResult, run, tail } from "./proc";

/**
 * The live-audit rows of `npm run bench`: `mailflow-guard audit --live-tenants` against Local
 * Exchange Online (a local stand-in for Exchange Online, not Microsoft's service) run as its own
 * process with generated tenants and a latency on every request: one by one (--concurrency 1,
 * what every live audit did before) against the default concurrency, in the same run; the same
 * default with a burst of 429s covering a tenth of the requests; and the peak RSS at larger sizes.
 */

export interface LiveBenchOptions {
  readonly root: string;
  readonly work: string;
  /** Tenants of the timing rows (default 1,000). */
  readonly tenants: number;
  /** Stand-in latency per request (default 150 ms). */
  readonly latencyMs: number;
  /** Tenants of the peak-RSS rows (default 1,000 and 10,000; the timing row's size is not run twice). */
  readonly rssSizes: readonly number[];
  /** Leave out the one-by-one row (it takes tenants × 2 × latency). */
  readonly skipSequential: boolean;
  readonly timeoutMs: number;
  /** The clock the audit judges certificates by. */
  readonly now: string;
  readonly log: (message: string) => void;
}

interface LiveRow {
  readonly label: string;
  readonly tenants: number;
  readonly concurrency: string;
  readonly throttle: string;
  readonly wallMs: number;
  readonly maxRssMiB: number | undefined;
  readonly code: number;
  readonly live: LiveSummary | undefined;
  readonly findings: number | undefined;
  readonly sameFindings?: boolean;
}

export interface LiveBenchResult {
  readonly rows: LiveRow[];
  readonly lines: string[];
}

/** Starts the stand-in as its own process (its CPU is not the CLI's) and resolves with its URL. */
async function startStandIn(
  root: string,
  args: readonly string[],
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(root, "dist", "local-exchange-online", "main.js"), "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk;
      const match = /^LOCAL_EXO_URL=(\S+)$/m.exec(stdout);
      if (match) resolve(match[1] as string);
    });
    child.on("close", (code) => reject(new Error(`the stand-in exited ${code} before it listened:\n${tail(stderr)}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill("SIGTERM");
      await closed;
    },
  };
}

async function audit(
  options: LiveBenchOptions,
  tenantsFile: string,
  url: string,
  extra: readonly string[],
  name: string,
): Promise<{ result: ProcResult; report?: { summary: { live?: LiveSummary }; findings: unknown[] } }> {
  const output = join(options.work, `live-${name}.json`);
  const rssFile = join(options.work, `live-${name}-rss.txt`);
  const cli = join(options.root, "dist", "cli", "main.js");
  const args = [cli, "audit", "--live-tenants", tenantsFile, "--endpoint", url, "--token-env", "EXO_TOKEN", "--format", "json"];
  args.push("--output", output, "--now", options.now, "--no-progress", ...extra);
  let result = await run(process.execPath, HAVE_GNU_TIME ? args : ["--require", join(__dirname, "rss-hook.js"), ...args], {
    measureRss: true,
    cwd: options.work,
    env: { ...process.env, EXO_TOKEN: "stand-in-token", MFG_BENCH_RSS_FILE: rssFile },
    timeoutMs: options.timeoutMs,
  });
  if (result.maxRssMiB === undefined && existsSync(rssFile))
    result = { ...result, maxRssMiB: Number(readFileSync(rssFile, "utf8")) / 1024 };
  if (result.timedOut) return { result };
  if (result.code !== 0 && result.code !== 1 && result.code !== 2) {
    throw new Error(`live audit (${name}) exited ${result.code}:\n${tail(result.stderr)}`);
  }
  return { result, report: JSON.parse(readFileSync(output, "utf8")) };
}

async function measure(
  options: LiveBenchOptions,
  spec: { label: string; tenants: number; concurrency?: number; throttleBurst?: { from: number; count: number } },
): Promise<{ row: LiveRow; findings?: unknown[] }> {
  const tenantsFile = join(options.work, `live-tenants-${spec.tenants}.txt`);
  const knobs = ["--tenants", String(spec.tenants), "--write-tenants", tenantsFile, "--latency-ms", String(options.latencyMs)];
  if (spec.throttleBurst) knobs.push("--throttle-burst", `${spec.throttleBurst.from}:${spec.throttleBurst.count}`, "--retry-after", "1");
  const standIn = await startStandIn(options.root, knobs);
  try {
    options.log(`live: ${spec.label}`);
    const name = `${spec.tenants}-${spec.concurrency ?? "default"}${spec.throttleBurst ? "-429" : ""}`;
    const { result, report } = await audit(
      options,
      tenantsFile,
      standIn.url,
      spec.concurrency ? ["--concurrency", String(spec.concurrency)] : [],
      name,
    );
    const live = report?.summary.live;
    options.log(
      `live: ${spec.label}: ${(result.wallMs / 1000).toFixed(1)} s, exit ${result.code}${live ? `, ${live.read}/${live.tenants} read, ${live.retries} retries` : ""}`,
    );
    return {
      row: {
        label: spec.label,
        tenants: spec.tenants,
        concurrency: live ? String(live.concurrency) : spec.concurrency ? String(spec.concurrency) : "default",
        throttle: spec.throttleBurst
          ? `requests ${spec.throttleBurst.from}–${spec.throttleBurst.from + spec.throttleBurst.count - 1} answered 429, Retry-After 1 s`
          : "none",
        wallMs: result.timedOut ? Number.NaN : result.wallMs,
        maxRssMiB: result.maxRssMiB,
        code: result.code,
        live,
        findings: report?.findings.length,
      },
      ...(report ? { findings: report.findings } : {}),
    };
  } finally {
    await standIn.stop();
  }
}

const seconds = (ms: number) => (Number.isNaN(ms) ? "timed out" : `${(ms / 1000).toFixed(1)} s`);
const mib = (v: number | undefined) => (v === undefined ? "unknown" : `${v.toFixed(0)} MiB`);

export async function liveBench(options: LiveBenchOptions): Promise<LiveBenchResult> {
  const rows: LiveRow[] = [];
  const n = options.tenants;
  let sequentialFindings: unknown[] | undefined;
  if (!options.skipSequential) {
    const sequential = await measure(options, { label: `${n} tenants one by one (--concurrency 1)`, tenants: n, concurrency: 1 });
    rows.push(sequential.row);
    sequentialFindings = sequential.findings;
  }
  const parallel = await measure(options, { label: `${n} tenants, default concurrency`, tenants: n });
  const same =
    sequentialFindings === undefined || parallel.findings === undefined
      ? undefined
      : JSON.stringify(sequentialFindings) === JSON.stringify(parallel.findings);
  rows.push({ ...parallel.row, ...(same === undefined ? {} : { sameFindings: same }) });
  // Two requests a tenant: a tenth of them, as one burst from a quarter of the way in.
  const requests = 2 * n;
  const burst = { from: Math.max(1, Math.floor(requests / 4)), count: Math.round(requests / 10) };
  const throttled = await measure(options, {
    label: `${n} tenants, default concurrency, a burst of 429s`,
    tenants: n,
    throttleBurst: burst,
  });
  rows.push({
    ...throttled.row,
    ...(parallel.findings && throttled.findings
      ? { sameFindings: JSON.stringify(parallel.findings) === JSON.stringify(throttled.findings) }
      : {}),
  });
  for (const size of options.rssSizes) {
    if (size === n) continue;
    rows.push((await measure(options, { label: `${size} tenants, default concurrency (peak RSS)`, tenants: size })).row);
  }

  const lines: string[] = [];
  lines.push(
    `Live audit: \`mailflow-guard audit --live-tenants <file> --format json\` against Local Exchange Online (a local stand-in for Exchange Online, not Microsoft's service) in its own process, ${options.latencyMs} ms added to every request.`,
  );
  lines.push("");
  lines.push("| live audit | tenants | concurrency | 429s | wall | read | requests | retries (budget) | peak RSS | exit | same findings |");
  lines.push("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|");
  for (const r of rows) {
    const l = r.live;
    lines.push(
      `| ${r.label} | ${r.tenants.toLocaleString("en-US")} | ${r.concurrency} | ${r.throttle} | ${seconds(r.wallMs)} | ${l ? `${l.read}/${l.tenants}` : "–"} | ${l?.requests ?? "–"} | ${l ? `${l.retries} (${l.retryBudget})` : "–"} | ${mib(r.maxRssMiB)} | ${r.code} | ${r.sameFindings === undefined ? "–" : r.sameFindings ? "yes" : "**NO**"} |`,
    );
  }
  const sequential = rows.find((r) => r.concurrency === "1");
  const byDefault = rows[options.skipSequential ? 0 : 1] as LiveRow;
  const with429 = rows[options.skipSequential ? 1 : 2] as LiveRow;
  const allRead = (r: LiveRow) => r.live !== undefined && r.live.read === r.live.tenants;
  const mark = (ok: boolean) => (ok ? "**met**" : "**missed**");
  lines.push("");
  lines.push("| live target | measured | status |");
  lines.push("|---|---:|---|");
  lines.push(
    `| ${n.toLocaleString("en-US")} tenants at ${options.latencyMs} ms, default settings, ≤ 30 s, every tenant read, same findings as one by one | ${seconds(byDefault.wallMs)}${sequential ? ` (one by one: ${seconds(sequential.wallMs)}, ${(sequential.wallMs / byDefault.wallMs).toFixed(1)}× faster)` : ""} | ${n === 1000 && options.latencyMs === 150 ? mark(byDefault.wallMs <= 30_000 && allRead(byDefault) && byDefault.sameFindings !== false) : "not measured at 1,000 / 150 ms"} |`,
  );
  lines.push(
    `| 429s on a tenth of the requests: every tenant read, retries within the budget | ${with429.live ? `${with429.live.read}/${with429.live.tenants} read, ${with429.live.retries} retries (${with429.live.throttled} throttled) of ${with429.live.retryBudget}, ${seconds(with429.wallMs)}` : "–"} | ${mark(allRead(with429) && (with429.live?.retries ?? Number.POSITIVE_INFINITY) <= (with429.live?.retryBudget ?? 0))} |`,
  );
  return { rows, lines };
}
