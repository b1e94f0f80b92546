import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exchangeTlsCertificateName, parseCertificatePem } from "../policy/src/engine/x509";
import { descendants } from "../test/e2e/harness";
import { npm, packTarballs, PLUGIN_REFERENCE } from "../test/support/packed";
import { policyPackAt } from "../test/support/policy-pack";
import { makeEstate } from "./generate";
import { benchEnv, initBenchStack, POLICY_PACK, ROOT, writeScenario } from "./preview";

/**
 * The same `pulumi preview` through both layouts of the package, in one run: mailflow-guard 0.1.0
 * (the real package, test/fixtures/layout-0.1.x; connectors as dynamic-provider resources) and the
 * current one (connectors served by the provider plugin). One generated scenario, one program
 * (connectors declared directly, as examples/connectors-by-hand does), the same SDK; wall time and
 * the peak RSS of every process of the preview, sampled from /proc.
 *
 *   node dist/bench/layouts.js [--smoke] [--sizes 250,1000] [--runs 2]
 */

const SDK = "3.276.0";
const SAMPLE_MS = 100;

/** The program both layouts run: the scenario's connectors, nothing else. */
const PROGRAM = `const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const { InboundConnector, SendConnector } = require("mailflow-guard");
const config = new pulumi.Config();
const resources = JSON.parse(fs.readFileSync(config.require("scenario"), "utf8")).resources;
const connection = pulumi.secret({ endpoint: "http://127.0.0.1:9", token: "bench-token" });
const owner = pulumi.getProject() + "/" + pulumi.getStack();
for (const r of resources) {
  if (r.kind === "InboundConnector") new InboundConnector(r.name, { owner, ...r.props, connection });
  else new SendConnector(r.name, { owner, shell: [], shellEnv: {}, ...r.props });
}
`;

type Layout = "dynamic 0.1.0" | "plugin";

/** What a process of the preview is, by its command line. */
function role(command: string): string {
  const executable = command.split("\0")[0] ?? "";
  if (/(^|\/)pulumi$/.test(executable)) return "pulumi";
  if (command.includes("provider/main.js")) return "mailflow plugin";
  if (command.includes("pulumi-resource-pulumi-nodejs") || command.includes("dynamic-provider")) return "dynamic provider";
  if (command.includes("run-policy-pack") || command.includes("policy-pack-adapter")) return "policy pack";
  if (command.includes("pulumi-language-nodejs")) return "language host";
  if (command.includes("node")) return "program";
  return "other";
}

function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Measured {
  readonly wallMs: number;
  readonly code: number;
  /** Peak RSS of the largest process of each role, and how many processes had it. */
  readonly peaks: Record<string, { mib: number; processes: number }>;
  readonly output: string;
}

/** Runs `pulumi preview` and samples every process below it until it exits. */
function measuredPreview(cwd: string, env: NodeJS.ProcessEnv, pack: boolean): Promise<Measured> {
  const packArgs = pack ? policyPackAt(POLICY_PACK, POLICY_PACK) : undefined;
  const args = ["preview", "--non-interactive", "--diff=false", ...(packArgs ? ["--policy-pack", packArgs.arg] : [])];
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn("pulumi", args, { cwd, env: { ...env, ...packArgs?.env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const peaks: Record<string, { mib: number; pids: Set<number> }> = {};
    const sample = () => {
      for (const pid of [child.pid ?? -1, ...descendants(child.pid ?? -1)]) {
        let command = "";
        try {
          command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        } catch {
          continue;
        }
        const mib = rssMiB(pid);
        if (mib === undefined) continue;
        const kind = role(command);
        const entry = peaks[kind] ?? { mib: 0, pids: new Set<number>() };
        peaks[kind] = entry;
        entry.pids.add(pid);
        entry.mib = Math.max(entry.mib, mib);
      }
    };
    const timer = setInterval(sample, SAMPLE_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({
        wallMs: Date.now() - started,
        code: code ?? -1,
        peaks: Object.fromEntries(Object.entries(peaks).map(([kind, p]) => [kind, { mib: p.mib, processes: p.pids.size }])),
        output,
      });
    });
  });
}

/** A project outside the checkout with one layout's package installed. */
function prepareProject(layout: Layout, work: string, tarball: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(work, layout.replaceAll(" ", "-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "bench-layout", private: true, main: "index.js" }));
  writeFileSync(join(dir, "index.js"), PROGRAM);
  writeFileSync(join(dir, "Pulumi.yaml"), `name: bench-layout\nruntime: nodejs\n${layout === "plugin" ? PLUGIN_REFERENCE : ""}`);
  npm(["install", tarball, `@pulumi/pulumi@${SDK}`], dir);
  return { dir, env: benchEnv(dir) };
}

/** The scenario with each certificate read and its TlsCertificateName computed, so the program only declares. */
function resolvedScenario(tenants: number, work: string): { file: string; resources: number } {
  const { scenario, resources } = writeScenario(
    makeEstate({ tenants, seed: 7, ipShare: 0.2, conflictShare: 0 }),
    join(work, `scenario-${tenants}`),
  );
  const parsed = JSON.parse(readFileSync(scenario, "utf8")) as {
    resources: { kind: string; name: string; props: Record<string, unknown> }[];
  };
  for (const resource of parsed.resources) {
    const file = resource.props.certificateFile as string | undefined;
    if (file === undefined) continue;
    const pem = readFileSync(file, "utf8");
    delete resource.props.certificateFile;
    resource.props.certificatePem = pem;
    resource.props.tlsCertificateName = exchangeTlsCertificateName(parseCertificatePem(pem, file));
  }
  const out = join(work, `scenario-${tenants}.resolved.json`);
  writeFileSync(out, JSON.stringify(parsed));
  return { file: out, resources };
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const smoke = process.argv.includes("--smoke");
  const sizes = smoke ? [5] : option("--sizes", "250,1000").split(",").map(Number);
  const runs = smoke ? 1 : Number(option("--runs", "2"));
  const work = join(ROOT, "bench", "out", "layouts");
  mkdirSync(work, { recursive: true });
  const log = (line: string) => process.stderr.write(`bench layouts: ${line}\n`);
  const tarballs: Record<Layout, string> = {
    "dynamic 0.1.0": join(ROOT, "test/fixtures/layout-0.1.x/mailflow-guard-0.1.0.tgz"),
    plugin: packTarballs(ROOT, join(work, "tarballs")).library,
  };
  const rows: { tenants: number; resources: number; layout: Layout; pack: boolean; runs: Measured[] }[] = [];
  for (const tenants of sizes) {
    const scenario = resolvedScenario(tenants, work);
    for (const layout of Object.keys(tarballs) as Layout[]) {
      const project = prepareProject(layout, join(work, `${tenants}`), tarballs[layout]);
      await initBenchStack(project.dir, project.env, scenario.file);
      // One unmeasured preview warms the OS caches (the freshly installed node_modules, the plugins);
      // the larger sizes run after the 250-tenant one has warmed them.
      if (tenants <= 250) await measuredPreview(project.dir, project.env, false);
      // The 250-tenant size compares with and without the pack; larger sizes preview without it.
      for (const pack of tenants <= 250 ? [false, true] : [false]) {
        const measured: Measured[] = [];
        for (let r = 0; r < (tenants > 250 ? 1 : runs); r++) {
          const result = await measuredPreview(project.dir, project.env, pack);
          log(
            `${tenants} tenants, ${layout}, ${pack ? "pack" : "no pack"}, run ${r + 1}/${runs}: ${(result.wallMs / 1000).toFixed(1)} s, exit ${result.code}`,
          );
          if (result.code !== 0) throw new Error(`preview exited ${result.code}:\n${result.output.slice(-3000)}`);
          measured.push(result);
        }
        rows.push({ tenants, resources: scenario.resources, layout, pack, runs: measured });
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const roles = [...new Set(rows.flatMap((row) => row.runs.flatMap((run) => Object.keys(run.peaks))))].sort();
  const lines = [
    `| tenants | resources | layout | pack | wall (median of ${runs} at 250, 1 run above) | ${roles.map((r) => `peak RSS: ${r}`).join(" | ")} |`,
    `|---:|---:|---|---|---:|${roles.map(() => "---:").join("|")}|`,
  ];
  for (const row of rows) {
    const cells = roles.map((r) => {
      const values = row.runs.map((run) => run.peaks[r]).filter((p) => p !== undefined);
      if (values.length === 0) return "–";
      return `${median(values.map((p) => p.mib)).toFixed(0)} MiB${(values[0]?.processes ?? 1) > 1 ? ` (${values[0]?.processes} proc.)` : ""}`;
    });
    lines.push(
      `| ${row.tenants.toLocaleString("en-US")} | ${row.resources.toLocaleString("en-US")} | ${row.layout} | ${row.pack ? "ours" : "none"} | ${(median(row.runs.map((r) => r.wallMs)) / 1000).toFixed(1)} s | ${cells.join(" | ")} |`,
    );
  }
  writeFileSync(
    join(work, "layouts.json"),
    JSON.stringify(
      rows.map((row) => ({ ...row, runs: row.runs.map(({ output: _o, ...rest }) => rest) })),
      null,
      2,
    ),
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench layouts: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
