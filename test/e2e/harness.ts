import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Drives the real Pulumi CLI (the pinned build that scripts/setup.sh put on PATH) against a
 * throw-away local file backend per test workspace.
 */

export const ROOT = resolve(__dirname, "..", "..", "..");
export const POLICY_PACK = join(ROOT, "policy");
export const PINNED_PULUMI = "v3.67.0";

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

  /** Starts pulumi in its own process group, to be killed mid-run like an interrupted CI job. */
  start(args: readonly string[], cwd: string): { kill(): Promise<void> } {
    const child = spawn("pulumi", [...args, "--non-interactive"], { cwd, env: this.env, stdio: "ignore", detached: true });
    const exited = new Promise<void>((resolveExit) => child.on("exit", () => resolveExit()));
    return {
      kill: async () => {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        await exited;
      },
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

/** The `Policies:` / `Policy Violations:` part of a preview's output. */
export function policySection(output: string): string {
  const start = output.search(/Policy Violations:|Policies:/);
  return start >= 0 ? output.slice(start) : "";
}
