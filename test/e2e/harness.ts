import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { policyPackAt as policyPackFor } from "../support/policy-pack";
import { copyProject } from "../support/project-copy";

/**
 * Drives the real Pulumi CLI (the pinned build that scripts/setup.sh put on PATH) against a
 * throw-away local file backend per test workspace.
 */

export const ROOT = resolve(__dirname, "..", "..", "..");
/** The pack folder itself (what `pulumi policy publish` uploads). */
export const POLICY_DIR = join(ROOT, "policy");
/**
 * What to give `--policy-pack` on this machine: scripts/pulumi-env.sh sets it (the pack folder, or
 * the adapter that starts it where this environment's language host cannot).
 */
export const POLICY_PACK = process.env.MAILFLOW_GUARD_POLICY_PACK ?? POLICY_DIR;
/**
 * The `--policy-pack` argument and environment for a pack in another folder (a published copy, an
 * installed package): the folder itself, or the adapter pointed at it.
 */
export function policyPackAt(dir: string): { arg: string; env: NodeJS.ProcessEnv } {
  return policyPackFor(dir, POLICY_DIR);
}

/** The CLI version the tests expect: what scripts/pulumi-env.sh pinned for this leg. */
export const PINNED_PULUMI = `v${process.env.MFG_PULUMI_VERSION ?? "unset: source scripts/pulumi-env.sh"}`;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, as a person would see them. */
  readonly output: string;
}

/** Which pulumi the tests run, checked once: the pinned version or the tests stop. */
export function pulumiBinary(): { path: string; version: string } {
  const path = execFileSync("bash", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
  const version = execFileSync(path, ["version"], { encoding: "utf8" }).trim();
  if (version !== PINNED_PULUMI)
    throw new Error(`pulumi on PATH is ${version} (${path}); the tests need ${PINNED_PULUMI}. Run scripts/setup.sh.`);
  return { path, version };
}

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), "mfg-e2e-"));
  readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    this.env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${this.dir}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      PULUMI_HOME: join(this.dir, ".pulumi-home"),
      NO_COLOR: "1",
      ...extraEnv,
    };
  }

  /** Runs pulumi with args in a project folder; never throws on a non-zero exit. */
  pulumi(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn("pulumi", [...args, "--non-interactive"], {
        cwd,
        env: { ...this.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk;
        output += chunk;
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk;
        output += chunk;
      });
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr, output }));
    });
  }

  /**
   * A throw-away copy of a project folder that runs the same compiled program, so that stack
   * config files (and their encryption salt) land here, not in the checkout.
   */
  project(source: string, main: string): string {
    return copyProject(ROOT, source, join(this.dir, "projects", basename(source)), main);
  }

  /** Starts pulumi in the background; the returned handle can crash its resource provider mid-operation. */
  start(args: readonly string[], cwd: string): { crashProvider(): void; result: Promise<number> } {
    const child = spawn("pulumi", [...args, "--non-interactive"], { cwd, env: this.env, stdio: "ignore" });
    const result = new Promise<number>((resolveExit) => child.on("exit", (code) => resolveExit(code ?? -1)));
    return {
      // SIGKILL of the provider plugin's process (a crash, an OOM kill): the engine itself stays sane.
      crashProvider: () => {
        for (const pid of descendants(child.pid ?? -1)) {
          const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
          if (command.includes("dist/provider/main.js")) process.kill(pid, "SIGKILL");
        }
      },
      result,
    };
  }

  /** `pulumi stack init` in a project folder, with config values (plain or secret). */
  async initStack(cwd: string, stack: string, config: Record<string, string> = {}, secrets: Record<string, string> = {}): Promise<void> {
    const init = await this.pulumi(["stack", "init", stack], cwd);
    if (init.code !== 0) throw new Error(`pulumi stack init ${stack} failed:\n${init.output}`);
    for (const [key, value] of Object.entries(config)) await this.mustRun(["config", "set", "--stack", stack, "--path", key, value], cwd);
    for (const [key, value] of Object.entries(secrets))
      await this.mustRun(["config", "set", "--stack", stack, "--secret", key, value], cwd);
  }

  async mustRun(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const result = await this.pulumi(args, cwd, env);
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.output}`);
    return result;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every process below `root`, from /proc (Linux). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** `[major, minor]` of a `vX.Y.Z` version string. */
function minorOf(version: string): number {
  const match = /^v?(\d+)\.(\d+)\./.exec(version);
  if (!match) throw new Error(`cannot read a version from "${version}"`);
  return Number(match[1]) * 1000 + Number(match[2]);
}

/**
 * The exit code of a preview that a mandatory policy blocked, by CLI version: 255 before 3.248
 * (measured with 3.167.0, the floor leg), 1 since (3.276.0, the current leg).
 */
export function blockedExitCode(version: string = pulumiBinary().version): number {
  return minorOf(version) >= 3248 ? 1 : 255;
}

/**
 * A RegExp that finds one policy's line in the `Policies:` section at a level. Every CLI this
 * project supports (3.167 and newer) writes `- [mandatory]  <policy>  (<resource>)` under
 * `❌ mailflow-guard@v0.1.0 (local: …)`; the pack's name is checked by packRan().
 */
export function policyLine(level: "mandatory" | "advisory", policy: string): RegExp {
  const name = policy.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`- \\[${level}\\]\\s+${name}\\s+\\(`);
}

/** A RegExp that shows our pack ran, passed (✅) or not (❌), in the `Policies:` section. */
export function packRan(passed: boolean): RegExp {
  return new RegExp(`Policies:\\s+${passed ? "✅" : "❌"} mailflow-guard@v\\d+\\.\\d+\\.\\d+ \\(local: `);
}

/** The `Policies:` / `Policy Violations:` part of a preview's output. */
export function policySection(output: string): string {
  const start = output.search(/Policy Violations:|Policies:/);
  return start >= 0 ? output.slice(start) : "";
}

/** The `Diagnostics:` part of the CLI's output ("" when there is none, so a count there is 0). */
export function diagnosticsSection(output: string): string {
  const start = output.indexOf("Diagnostics:");
  return start >= 0 ? output.slice(start) : "";
}

/** How many times `text` appears among the diagnostics. */
export function countInDiagnostics(output: string, text: string): number {
  return diagnosticsSection(output).split(text).length - 1;
}

/**
 * A failure a person reads (issue 18): no stack frame, and none of the SDK's gRPC trace, which a
 * failed up printed in 14–28 lines.
 */
export function assertNoTrace(output: string): void {
  assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, "no stack trace");
  assert.doesNotMatch(output, /grpc|failed to deliver log message/i, "no gRPC trace");
}
