import { execFileSync } from "node:child_process";
import { cpus, totalmem, tmpdir } from "node:os";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_ESTATE, type EstateOptions, inventoryJson, makeEstate, writeExportFolder } from "./generate";
import { diffKeys, regoKeys } from "./findings";
import { type LiveBenchResult, liveBench } from "./live";
import { type HtmlSize, htmlTable, measureHtmlReport } from "./html";
import { HAVE_GNU_TIME, median, type ProcResult, run, tail } from "./proc";
import { type PreviewVariant, preparePreviewStack, prepareNoopPack, preview } from "./preview";

/**
 * `npm run bench`: the rule engine, the audit CLI and the policy pack at MSP scale, with OPA as a
 * peer for the two cross-tenant rules. Prints a markdown table of medians and the targets.
 * Not a test: it asserts nothing about timings; it fails only when the harness itself breaks
 * (a child crashes, a preview or an audit cannot run, the engine and the Rego disagree).
 */

const ROOT = resolve(__dirname, "..", "..");
const CHILD = join(__dirname, "child.js");
/** The clock of the engine runs (bench/child.ts) and the audit: the generated certificates are judged at this date. */
const ENGINE_NOW = "2026-06-01T00:00:00Z";
const CLI = join(ROOT, "dist", "cli", "main.js");
/** The start-up row: whole processes at a size where start-up is most of the time. */
const STARTUP_TENANTS = 100;
const STARTUP_RUNS = 9;
const OPA_MODULE_DIR = join(ROOT, "bench", "opa");
const OPA_VERSION = /require github\.com\/open-policy-agent\/opa (v\S+)/.exec(readFileSync(join(OPA_MODULE_DIR, "go.mod"), "utf8"))?.[1];
const CACHE =
  process.env.MAILFLOW_GUARD_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? tmpdir(), ".cache"), "mailflow-guard");

const USAGE = `npm run bench -- [options]
  --sizes 100,1000,10000    engine / OPA sizes (tenants)
  --runs N                  runs per size (default 7 below 10,000 tenants, 5 at 10,000)
  --audit-size N            tenants in the audit export folder (default: largest size)
  --audit-runs N            audit runs (default 3)
  --preview-sizes 50,250    tenants per previewed stack
  --preview-runs N          previews per variant (default 3)
  --opa-timeout-min N       give up on one OPA evaluation after N minutes (default 10)
  --audit-timeout-min N     give up on one audit run after N minutes (default 20)
  --ip-share F              share of IP-authenticated tenants (default ${DEFAULT_ESTATE.ipShare})
  --conflict-share F        share of each planted conflict (default ${DEFAULT_ESTATE.conflictShare})
  --seed N                  generator seed (default ${DEFAULT_ESTATE.seed})
  --live-tenants N          live audit rows: tenants of the stand-in (default 1000), and
  --live-latency-ms MS      its latency per request (default 150); see bench/live.ts
  --live-rss-sizes A,B      tenants of the live peak-RSS rows (default 1000,10000)
  --skip-live-sequential    leave out the one-by-one live row (tenants x 2 x latency)
  --html-sizes 100,1000     tenants in the HTML report measured in headless Chromium
  --html-runs N             runs per HTML size (default 3)
  --skip-preview --skip-opa --skip-audit --skip-live --skip-html
  --smoke                   smallest size, 1 run, no OPA, no preview (CI): checks the harness works
  --json FILE               also write every raw measurement as JSON
  --keep                    keep the temporary folder`;

interface EngineRun {
  readMs: number;
  floorMs: number;
  engineMs: number;
  findings: number;
  byRule: Record<string, number>;
  heapBeforeEngineMiB: number;
  heapAfterEngineMiB: number;
  maxRssMiB: number;
  sinceStartMs: number;
}

interface SizeResult {
  tenants: number;
  inventoryMiB: number;
  planted: ReturnType<typeof makeEstate>["planted"];
  all: EngineRun[];
  cross: (EngineRun & { wallMs: number })[];
  opa?: {
    runs: { wallMs: number; evalMs: number; maxRssMiB?: number }[];
    timedOutAfterMin?: number;
    agree?: boolean;
    diff?: string;
    error?: string;
  };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function sizesOf(text: string): number[] {
  return text.split(",").map((s) => {
    const n = Number(s.trim().replaceAll("_", ""));
    if (!Number.isInteger(n) || n < 2) throw new Error(`bad size "${s}"`);
    return n;
  });
}

async function engineChild(file: string, mode: "all" | "cross", keysOut?: string): Promise<EngineRun & { wallMs: number }> {
  const result = await run(process.execPath, [CHILD, file, mode, ...(keysOut ? [keysOut] : [])]);
  if (result.code !== 0) throw new Error(`engine child failed (exit ${result.code}):\n${tail(result.stderr)}`);
  return { ...(JSON.parse(result.stdout) as EngineRun), wallMs: result.wallMs };
}

/** The OPA binary: the pinned module built once into the cache (CGO_ENABLED=0), or undefined with the reason. */
function opaBinary(): { path?: string; error?: string } {
  if (!OPA_VERSION) return { error: "bench/opa/go.mod pins no github.com/open-policy-agent/opa version" };
  const path = join(CACHE, `opa-${OPA_VERSION}`, "opa");
  if (existsSync(path)) return { path };
  log(`building OPA ${OPA_VERSION} from Go modules into ${path} (once)`);
  try {
    mkdirSync(join(CACHE, `opa-${OPA_VERSION}`), { recursive: true });
    execFileSync("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", path, "."], {
      cwd: OPA_MODULE_DIR,
      env: { ...process.env, CGO_ENABLED: "0" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    return { path };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    return { error: `go build of github.com/open-policy-agent/opa@${OPA_VERSION} failed: ${tail(stderr, 8)}` };
  }
}

async function opaRun(
  opa: string,
  input: string,
  timeoutMs: number,
  measureRss = true,
): Promise<{ result: ProcResult; evalMs: number; value: unknown }> {
  const result = await run(
    opa,
    ["eval", "--data", join(OPA_MODULE_DIR, "policy.rego"), "--input", input, "data.mailflow.violations", "--format", "json", "--metrics"],
    { measureRss, timeoutMs },
  );
  if (result.timedOut) return { result, evalMs: Number.NaN, value: undefined };
  if (result.code !== 0) throw new Error(`opa eval failed (exit ${result.code}):\n${tail(result.stderr + result.stdout)}`);
  const parsed = JSON.parse(result.stdout) as {
    result: { expressions: { value: unknown }[] }[];
    metrics: Record<string, number>;
  };
  return { result, evalMs: (parsed.metrics.timer_rego_query_eval_ns ?? Number.NaN) / 1e6, value: parsed.result[0]?.expressions[0]?.value };
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits));
const ms = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? "–" : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(n < 10 ? 2 : 0)} ms`;
const mark = (ok: boolean | undefined) => (ok === undefined ? "not measured" : ok ? "**met**" : "**missed**");

function machine(): string {
  let model = cpus()[0]?.model ?? "unknown CPU";
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? model;
  } catch {
    // not Linux
  }
  let go = "go: not found";
  try {
    go = execFileSync("go", ["version"], { encoding: "utf8" }).trim();
  } catch {
    // no Go
  }
  let pulumi = "pulumi: not on PATH";
  try {
    pulumi = `pulumi ${execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim()}`;
  } catch {
    // none
  }
  return `${model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}; ${go}; ${pulumi}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      runs: { type: "string" },
      "audit-size": { type: "string" },
      "audit-runs": { type: "string" },
      "preview-sizes": { type: "string" },
      "preview-runs": { type: "string" },
      "opa-timeout-min": { type: "string" },
      "audit-timeout-min": { type: "string" },
      "ip-share": { type: "string" },
      "conflict-share": { type: "string" },
      seed: { type: "string" },
      "skip-preview": { type: "boolean" },
      "skip-opa": { type: "boolean" },
      "skip-audit": { type: "boolean" },
      "skip-live": { type: "boolean" },
      "skip-live-sequential": { type: "boolean" },
      "live-tenants": { type: "string" },
      "live-latency-ms": { type: "string" },
      "live-rss-sizes": { type: "string" },
      "html-sizes": { type: "string" },
      "html-runs": { type: "string" },
      "skip-html": { type: "boolean" },
      smoke: { type: "boolean" },
      json: { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const smoke = values.smoke === true;
  const sizes = smoke ? [sizesOf(values.sizes ?? "100")[0] as number] : sizesOf(values.sizes ?? "100,1000,10000");
  const runsFor = (n: number) => (smoke ? 1 : values.runs ? Number(values.runs) : n >= 10_000 ? 5 : 7);
  const estateBase = {
    seed: Number(values.seed ?? DEFAULT_ESTATE.seed),
    ipShare: Number(values["ip-share"] ?? DEFAULT_ESTATE.ipShare),
    conflictShare: Number(values["conflict-share"] ?? DEFAULT_ESTATE.conflictShare),
  };
  const skipOpa = smoke || values["skip-opa"] === true;
  const skipPreview = smoke || values["skip-preview"] === true;
  const skipAudit = values["skip-audit"] === true;
  const auditSize = Number(values["audit-size"] ?? Math.max(...sizes));
  const auditRuns = smoke ? 1 : Number(values["audit-runs"] ?? 3);
  const previewSizes = sizesOf(values["preview-sizes"] ?? "50,250");
  const previewRuns = Number(values["preview-runs"] ?? 3);
  const opaTimeoutMs = Number(values["opa-timeout-min"] ?? 10) * 60_000;
  const auditTimeoutMs = Number(values["audit-timeout-min"] ?? 20) * 60_000;

  const work = mkdtempSync(join(tmpdir(), "mfg-bench-"));
  log(`work folder ${work}`);
  const raw: Record<string, unknown> = { machine: machine(), estate: estateBase };
  // Raw measurements are saved after every phase, so a later failure keeps the earlier ones.
  const save = () => {
    if (values.json) writeFileSync(values.json, JSON.stringify(raw, null, 2));
  };
  try {
    // 1. Engine (and OPA) per size.
    const results: SizeResult[] = [];
    const opa = skipOpa ? undefined : opaBinary();
    if (opa?.error) log(`OPA unavailable: ${opa.error}`);
    for (const tenants of sizes) {
      const options: EstateOptions = { tenants, ...estateBase };
      const estate = makeEstate(options);
      const file = join(work, `inventory-${tenants}.json`);
      const text = JSON.stringify(inventoryJson(estate));
      writeFileSync(file, text);
      const size: SizeResult = { tenants, inventoryMiB: text.length / 2 ** 20, planted: estate.planted, all: [], cross: [] };
      const runs = runsFor(tenants);
      log(`${tenants} tenants: ${runs} engine runs (all rules, then the two cross-tenant rules), fresh process each`);
      const keysFile = join(work, `engine-keys-${tenants}.json`);
      for (let r = 0; r < runs; r++) {
        size.all.push(await engineChild(file, "all"));
        size.cross.push(await engineChild(file, "cross", r === 0 ? keysFile : undefined));
      }
      if (opa?.path) {
        const opaRuns = tenants >= 10_000 ? 1 : Math.min(runs, 3);
        size.opa = { runs: [] };
        for (let r = 0; r < opaRuns; r++) {
          log(`${tenants} tenants: opa eval run ${r + 1}/${opaRuns}`);
          const { result, evalMs, value } = await opaRun(opa.path, file, opaTimeoutMs);
          if (result.timedOut) {
            size.opa.timedOutAfterMin = opaTimeoutMs / 60_000;
            break;
          }
          size.opa.runs.push({ wallMs: result.wallMs, evalMs, ...(result.maxRssMiB ? { maxRssMiB: result.maxRssMiB } : {}) });
          if (r === 0) {
            const engineKeys = JSON.parse(readFileSync(keysFile, "utf8")) as string[];
            const rego = regoKeys(value as Parameters<typeof regoKeys>[0]);
            const { onlyA, onlyB } = diffKeys(engineKeys, rego);
            size.opa.agree = onlyA.length === 0 && onlyB.length === 0;
            if (!size.opa.agree)
              size.opa.diff = `only engine: ${onlyA.slice(0, 5).join("; ")} | only Rego: ${onlyB.slice(0, 5).join("; ")} (${onlyA.length}/${onlyB.length})`;
            log(
              `${tenants} tenants: ${engineKeys.length} cross-tenant findings in the engine, ${rego.length} in Rego: ${size.opa.agree ? "same set" : "DIFFERENT"}`,
            );
          }
        }
      } else if (opa?.error) {
        size.opa = { runs: [], error: opa.error };
      }
      results.push(size);
    }
    raw.sizes = results;
    save();

    // 1b. Start-up: what a user waits for at a small size, the whole `mailflow-guard audit` process
    // (Node start, loading the CLI and the engine, reading 100 tenants' export files, every rule,
    // the JSON report) against the whole OPA process over the same tenants (its two rules).
    // Neither wrapped in /usr/bin/time; one unmeasured run of each first (the OS file cache, and
    // Node's compile cache as every run after a user's first finds it); runs alternate. Beside them,
    // the floor: a Node.js process that only reads and JSON.parses the same files (read-floor.ts).
    // The Node.js processes run without NODE_EXTRA_CA_CERTS: with it, Node reads that CA bundle at
    // every start (about 45 ms on this machine, which sets it), and a file audit opens no connection.
    let startup: { tenants: number; audit: number[]; opa: number[]; floor: number[]; withoutCaVariable: boolean } | undefined;
    if (opa?.path && !skipAudit) {
      const estate = makeEstate({ tenants: STARTUP_TENANTS, ...estateBase });
      const dir = join(work, `startup-export-${STARTUP_TENANTS}`);
      writeExportFolder(estate, dir);
      const input = join(work, `startup-inventory-${STARTUP_TENANTS}.json`);
      writeFileSync(input, JSON.stringify(inventoryJson(estate)));
      const auditArgs = [CLI, "audit", dir, "--format", "json", "--output", join(work, "startup-audit.json"), "--now", ENGINE_NOW];
      const { NODE_EXTRA_CA_CERTS: caVariable, ...nodeEnv } = process.env;
      const nodeOnce = async (args: string[], what: string, ok: readonly number[]) => {
        const result = await run(process.execPath, args, { cwd: work, env: nodeEnv });
        if (!ok.includes(result.code)) throw new Error(`start-up ${what} exited ${result.code}:\n${tail(result.stderr)}`);
        return result.wallMs;
      };
      const auditOnce = () => nodeOnce(auditArgs, "audit", [0, 1]);
      const floorOnce = () => nodeOnce([join(__dirname, "read-floor.js"), dir], "read floor", [0]);
      await auditOnce();
      await floorOnce();
      await opaRun(opa.path, input, opaTimeoutMs, false);
      startup = { tenants: STARTUP_TENANTS, audit: [], opa: [], floor: [], withoutCaVariable: caVariable !== undefined };
      const startupRuns = smoke ? 1 : STARTUP_RUNS;
      log(`start-up at ${STARTUP_TENANTS} tenants: ${startupRuns} runs each of the audit process, the read floor and the OPA process`);
      for (let r = 0; r < startupRuns; r++) {
        startup.audit.push(await auditOnce());
        startup.floor.push(await floorOnce());
        startup.opa.push((await opaRun(opa.path, input, opaTimeoutMs, false)).result.wallMs);
      }
      raw.startup = startup;
      if (startup.withoutCaVariable)
        log("start-up row: the Node.js processes ran without NODE_EXTRA_CA_CERTS (Node reads that CA bundle at every start)");
      save();
    }

    // 2. Audit CLI on an export folder.
    let audit: { tenants: number; runs: ProcResult[]; files: number; timedOutAfterMin?: number; peakRssAtTimeoutMiB?: number } | undefined;
    if (!skipAudit) {
      const tenants = smoke ? (sizes[0] as number) : auditSize;
      const dir = join(work, `export-${tenants}`);
      writeExportFolder(makeEstate({ tenants, ...estateBase }), dir);
      audit = { tenants, runs: [], files: tenants * 2 + 2 };
      for (let r = 0; r < auditRuns; r++) {
        log(`audit of ${tenants} tenants: run ${r + 1}/${auditRuns}`);
        const output = join(work, "audit.json");
        const rssFile = join(work, "audit-rss.txt");
        const args = [CLI, "audit", dir, "--format", "json", "--output", output, "--now", ENGINE_NOW];
        let result = await run(process.execPath, HAVE_GNU_TIME ? args : ["--require", join(__dirname, "rss-hook.js"), ...args], {
          measureRss: true,
          cwd: work,
          env: { ...process.env, MFG_BENCH_RSS_FILE: rssFile },
          timeoutMs: auditTimeoutMs,
        });
        if (result.timedOut) {
          audit.timedOutAfterMin = auditTimeoutMs / 60_000;
          audit.peakRssAtTimeoutMiB = result.maxRssMiB;
          break;
        }
        if (result.code !== 0 && result.code !== 1)
          throw new Error(`audit exited ${result.code} (2 = unreadable input: the generated export is wrong):\n${tail(result.stderr)}`);
        if (result.maxRssMiB === undefined && existsSync(rssFile))
          result = { ...result, maxRssMiB: Number(readFileSync(rssFile, "utf8")) / 1024 };
        audit.runs.push(result);
        if (result.wallMs > 120_000 && r === 0 && auditRuns > 1) {
          log(`audit took ${(result.wallMs / 1000).toFixed(0)} s; one run only`);
          break;
        }
      }
      const summary = existsSync(join(work, "audit.json"))
        ? (JSON.parse(readFileSync(join(work, "audit.json"), "utf8")) as { summary: unknown }).summary
        : undefined;
      raw.audit = {
        tenants,
        timedOutAfterMin: audit.timedOutAfterMin,
        peakRssAtTimeoutMiB: audit.peakRssAtTimeoutMiB,
        runs: audit.runs.map((r) => ({ wallMs: r.wallMs, maxRssMiB: r.maxRssMiB, code: r.code })),
        summary,
      };
      save();
    }

    // 2b. Live audit against the stand-in (bench/live.ts).
    let live: LiveBenchResult | undefined;
    if (values["skip-live"] !== true) {
      live = await liveBench({
        root: ROOT,
        work,
        tenants: smoke ? 50 : Number(values["live-tenants"] ?? 1000),
        latencyMs: smoke ? 10 : Number(values["live-latency-ms"] ?? 150),
        rssSizes: smoke ? [] : sizesOf(values["live-rss-sizes"] ?? "1000,10000"),
        skipSequential: values["skip-live-sequential"] === true,
        timeoutMs: auditTimeoutMs,
        now: ENGINE_NOW,
        log,
      });
      raw.live = live.rows;
      save();
    }

    // 2c. The HTML report of an export folder, in headless Chromium (bench/html.ts).
    let html: HtmlSize[] | undefined;
    if (values["skip-html"] !== true) {
      html = await measureHtmlReport({
        work,
        cli: CLI,
        now: ENGINE_NOW,
        sizes: smoke ? [sizes[0] as number] : sizesOf(values["html-sizes"] ?? "100,1000"),
        runs: smoke ? 1 : Number(values["html-runs"] ?? 3),
        estate: estateBase,
        log,
      });
      raw.html = html;
      save();
    }

    // 3. pulumi preview without a pack, with a pack that checks nothing, and with ours.
    const previews: { tenants: number; resources: number; without: number[]; noop: number[]; with: number[] }[] = [];
    if (!skipPreview) {
      const noopPack = prepareNoopPack(work);
      for (const tenants of previewSizes) {
        // A stack a CI gate passes: no planted conflicts (IP-authenticated tenants still give advisories).
        const estate = makeEstate({ tenants, ...estateBase, conflictShare: 0 });
        log(`preview of ${tenants} tenants: preparing stack`);
        const stack = await preparePreviewStack(estate, join(work, `preview-${tenants}`));
        const entry = { tenants, resources: stack.resources, without: [] as number[], noop: [] as number[], with: [] as number[] };
        // One unmeasured preview warms the OS caches (node_modules, plugins) for every variant.
        await preview(stack, "without", noopPack);
        const variants: PreviewVariant[] = ["without", "noop", "pack"];
        for (let r = 0; r < previewRuns; r++) {
          // Rotate the order so that no variant always runs first or last.
          for (const variant of [...variants.slice(r % 3), ...variants.slice(0, r % 3)]) {
            const label = `preview ${tenants} tenants, ${variant}, run ${r + 1} of ${previewRuns}`;
            let result = await preview(stack, variant, noopPack);
            // A crash of the CLI itself (seen once: a Go "concurrent map" fatal error in its progress
            // display) is not our pack's doing: say which run it was, then run it once more.
            for (let attempt = 2; result.code !== 0 && attempt <= 2; attempt++) {
              log(
                `${label}: pulumi exited ${result.code}${result.signal ? ` (${result.signal})` : ""}; retrying. Last lines:\n${tail(result.stdout + result.stderr, 8)}`,
              );
              result = await preview(stack, variant, noopPack);
            }
            log(`${label}: ${(result.wallMs / 1000).toFixed(1)} s (exit ${result.code})`);
            if (result.code !== 0)
              throw new Error(`${label}: pulumi preview exited ${result.code} twice:\n${tail(result.stdout + result.stderr, 30)}`);
            (variant === "pack" ? entry.with : variant === "noop" ? entry.noop : entry.without).push(result.wallMs);
            raw.previews = [...previews, entry];
            save();
          }
        }
        previews.push(entry);
      }
      raw.previews = previews;
      save();
    }

    // 4. The table.
    const lines: string[] = [];
    lines.push(`Machine: ${raw.machine}`);
    lines.push(
      `Estate: seed ${estateBase.seed}, ${estateBase.ipShare * 100}% IP-authenticated tenants, ${estateBase.conflictShare * 100}% per planted conflict (shared certificate, shared certificate name, overlapping sender IPs).`,
    );
    lines.push("");
    lines.push(
      "| tenants | runs | inventory | floor: JSON.parse + parseInventory | engine, all rules | per tenant | engine / floor | engine heap Δ | peak RSS (child) | findings |",
    );
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const engineMedian = new Map<number, number>();
    const floorMedian = new Map<number, number>();
    for (const s of results) {
      const engine = median(s.all.map((r) => r.engineMs));
      const floor = median(s.all.map((r) => r.floorMs));
      engineMedian.set(s.tenants, engine);
      floorMedian.set(s.tenants, floor);
      lines.push(
        `| ${s.tenants.toLocaleString("en-US")} | ${s.all.length} | ${fmt(s.inventoryMiB)} MiB | ${ms(floor)} | ${ms(engine)} | ${fmt((engine / s.tenants) * 1000, 1)} µs | ${fmt(engine / floor, 2)}× | ${fmt(median(s.all.map((r) => r.heapAfterEngineMiB - r.heapBeforeEngineMiB)))} MiB | ${fmt(median(s.all.map((r) => r.maxRssMiB)), 0)} MiB | ${s.all[0]?.findings ?? "–"} |`,
      );
    }
    const largest = Math.max(...sizes);
    const scaling =
      engineMedian.has(10_000) && engineMedian.has(1000)
        ? (engineMedian.get(10_000) as number) / (engineMedian.get(1000) as number)
        : undefined;
    const floorScaling =
      floorMedian.has(10_000) && floorMedian.has(1000)
        ? (floorMedian.get(10_000) as number) / (floorMedian.get(1000) as number)
        : undefined;

    if (results.some((s) => s.opa)) {
      lines.push("");
      lines.push(
        "| tenants | engine, 2 cross-tenant rules | OPA eval (query) | OPA / engine (eval) | engine process (start+read+parse+eval) | OPA process | OPA / engine (process) | OPA peak RSS | same findings |",
      );
      lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
      for (const s of results) {
        if (!s.opa) continue;
        const engineEval = median(s.cross.map((r) => r.engineMs));
        const engineWall = median(s.cross.map((r) => r.wallMs));
        if (s.opa.error) {
          lines.push(
            `| ${s.tenants.toLocaleString("en-US")} | ${ms(engineEval)} | OPA not built: ${s.opa.error.replaceAll("\n", " ")} | | | | | | |`,
          );
          continue;
        }
        if (s.opa.runs.length === 0) {
          lines.push(
            `| ${s.tenants.toLocaleString("en-US")} | ${ms(engineEval)} | timed out after ${s.opa.timedOutAfterMin} min | > ${fmt(((s.opa.timedOutAfterMin ?? 0) * 60_000) / engineEval, 0)}× | ${ms(engineWall)} | – | – | – | – |`,
          );
          continue;
        }
        const opaEval = median(s.opa.runs.map((r) => r.evalMs));
        const opaWall = median(s.opa.runs.map((r) => r.wallMs));
        lines.push(
          `| ${s.tenants.toLocaleString("en-US")} | ${ms(engineEval)} | ${ms(opaEval)} (${s.opa.runs.length} run${s.opa.runs.length > 1 ? "s" : ""}) | ${fmt(opaEval / engineEval, 1)}× | ${ms(engineWall)} | ${ms(opaWall)} | ${fmt(opaWall / engineWall, 2)}× | ${fmt(median(s.opa.runs.map((r) => r.maxRssMiB ?? Number.NaN)), 0)} MiB | ${s.opa.agree ? "yes" : `NO: ${s.opa.diff}`} |`,
        );
      }
    }

    let auditWall: number | undefined;
    let auditRss: number | undefined;
    if (audit) {
      auditWall = median(audit.runs.map((r) => r.wallMs));
      const rss = audit.runs.map((r) => r.maxRssMiB).filter((v): v is number => v !== undefined);
      auditRss = rss.length > 0 ? median(rss) : undefined;
      lines.push("");
      lines.push("| audit (`mailflow-guard audit <folder> --format json`) | tenants | files | runs | wall | peak RSS | exit |");
      lines.push("|---|---:|---:|---:|---:|---:|---:|");
      const shownWall = audit.runs.length === 0 ? `timed out after ${audit.timedOutAfterMin} min` : ms(auditWall);
      if (auditRss === undefined && audit.peakRssAtTimeoutMiB !== undefined) auditRss = audit.peakRssAtTimeoutMiB;
      const shownRss =
        auditRss === undefined ? "unknown" : `${fmt(auditRss, 0)} MiB${audit.runs.length === 0 ? " (peak until stopped)" : ""}`;
      lines.push(
        `| export folder | ${audit.tenants.toLocaleString("en-US")} | ${audit.files.toLocaleString("en-US")} | ${audit.runs.length} | ${shownWall} | ${shownRss} | ${audit.runs[0]?.code ?? "–"} |`,
      );
    }

    if (html) lines.push("", ...htmlTable(html, ms));

    let overhead250: number | undefined;
    let split250 = "";
    if (previews.length > 0) {
      lines.push("");
      lines.push(
        "| pulumi preview | resources | runs | without a pack | with a pack that checks nothing | with `--policy-pack policy` | overhead of our pack | of which any pack's cost | of which our policies' work |",
      );
      lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (const p of previews) {
        const without = median(p.without);
        const noop = median(p.noop);
        const withPack = median(p.with);
        const overhead = withPack / without - 1;
        if (p.tenants === 250) {
          overhead250 = overhead;
          split250 = `any pack with this CLI ${fmt((noop / without - 1) * 100, 1)}%, our policies ${fmt(((withPack - noop) / without) * 100, 1)}%`;
        }
        lines.push(
          `| ${p.tenants} tenants | ${p.resources} | ${p.without.length} | ${ms(without)} | ${ms(noop)} | ${ms(withPack)} | ${fmt(overhead * 100, 1)}% (${ms(withPack - without)}) | ${fmt((noop / without - 1) * 100, 1)}% | ${fmt(((withPack - noop) / without) * 100, 1)}% |`,
        );
      }
    }

    const atLargest = engineMedian.get(10_000);
    const ratioLargest = atLargest === undefined ? undefined : atLargest / (floorMedian.get(10_000) as number);
    const opaSizes = results.filter((s) => s.opa && !s.opa.error);
    const opaFaster = (pick: (s: SizeResult) => [number, number]) =>
      opaSizes.length === 0
        ? undefined
        : opaSizes.every((s) => {
            const [engine, peer] = pick(s);
            return s.opa?.runs.length === 0 || engine < peer;
          });
    const evalPair = (s: SizeResult): [number, number] => [
      median(s.cross.map((r) => r.engineMs)),
      median(s.opa?.runs.map((r) => r.evalMs) ?? []),
    ];
    const wallPair = (s: SizeResult): [number, number] => [
      median(s.cross.map((r) => r.wallMs)),
      median(s.opa?.runs.map((r) => r.wallMs) ?? []),
    ];
    const fasterEval = opaFaster(evalPair);
    const fasterWall = opaFaster(wallPair);
    /** OPA time / engine time at each size: above 1× the engine is faster. */
    const opaRatios = (pick: (s: SizeResult) => [number, number]) =>
      opaSizes
        .filter((s) => (s.opa?.runs.length ?? 0) > 0)
        .map((s) => {
          const [engine, peer] = pick(s);
          return `${fmt(peer / engine, 1)}× at ${s.tenants.toLocaleString("en-US")}`;
        })
        .join(", ") || "–";
    lines.push("");
    lines.push("| target | measured | status |");
    lines.push("|---|---:|---|");
    lines.push(
      `| engine at 10,000 tenants ≤ 5× the read-and-normalize floor | ${ratioLargest === undefined ? "–" : `${fmt(ratioLargest, 2)}×`} | ${mark(ratioLargest === undefined ? undefined : ratioLargest <= 5)} |`,
    );
    lines.push(
      `| scaling t(10,000) / t(1,000) ≤ 12 | ${scaling === undefined ? "–" : `${fmt(scaling, 1)} (floor: ${fmt(floorScaling, 1)})`} | ${mark(scaling === undefined ? undefined : scaling <= 12)} |`,
    );
    lines.push(
      `| preview overhead of the pack at 250 tenants ≤ 10% | ${overhead250 === undefined ? "–" : `${fmt(overhead250 * 100, 1)}% (${split250})`} | ${mark(overhead250 === undefined ? undefined : overhead250 <= 0.1)} |`,
    );
    lines.push(
      `| audit of 10,000 tenants < 512 MiB peak RSS | ${auditRss === undefined ? "–" : `${fmt(auditRss, 0)} MiB`} (wall ${audit && audit.runs.length === 0 ? `> ${audit.timedOutAfterMin} min, stopped` : ms(auditWall)}) | ${audit && audit.runs.length === 0 && (auditRss ?? 0) < 512 ? "not established (stopped before the end)" : mark(auditRss === undefined || audit?.tenants !== 10_000 ? undefined : auditRss < 512)} |`,
    );
    lines.push(`| faster than OPA at every size: rule evaluation (OPA / engine) | ${opaRatios(evalPair)} | ${mark(fasterEval)} |`);
    lines.push(`| faster than OPA at every size: whole process (OPA / engine) | ${opaRatios(wallPair)} | ${mark(fasterWall)} |`);
    if (live) lines.push("", ...live.lines);
    if (startup) {
      const auditMs = median(startup.audit);
      const opaMs = median(startup.opa);
      const floorMs = median(startup.floor);
      lines.push(
        `| start-up at ${startup.tenants} tenants: the whole audit process no slower than OPA's (OPA / audit ≥ 1) | audit ${ms(auditMs)}, OPA ${ms(opaMs)} (${startup.audit.length} runs each): ${fmt(opaMs / auditMs, 2)}× | ${mark(opaMs / auditMs >= 1)} |`,
        `| start-up floor: Node.js only reading and parsing the same files (bench/read-floor.ts) | ${ms(floorMs)}: OPA / floor ${fmt(opaMs / floorMs, 2)}× | ${opaMs / floorMs < 1 ? "no Node.js process can meet the row above" : "a bound, not a target"} |`,
      );
    }
    const table = lines.join("\n");
    process.stdout.write(`${table}\n`);
    raw.table = table;
    save();
    if (largest < 10_000) log("10,000 tenants not in --sizes: engine targets not measured");
    const disagree = results.some((s) => s.opa?.agree === false);
    if (disagree) {
      log("the engine and the Rego peer disagree on the cross-tenant findings (see the table)");
      return 1;
    }
    return 0;
  } finally {
    if (values.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
