import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * mailflow-guard as a user gets it: the packages packed with `npm pack`, installed with npm into
 * a folder outside the checkout, and the stand-ins started from their installed bins. One harness
 * for the TypeScript and the Pulumi YAML user projects.
 */

export function npm(args: string[], cwd: string): string {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8", stdio: "pipe" });
}

/** `npm pack` of the library (the repository root) and of the policy pack, as built by set-up. */
export function packTarballs(root: string, into: string): { library: string; policy: string } {
  mkdirSync(into, { recursive: true });
  const pack = (dir: string) =>
    join(into, npm(["pack", "--ignore-scripts", "--pack-destination", into], dir).trim().split("\n").at(-1) as string);
  return { library: pack(root), policy: pack(join(root, "policy")) };
}

/** The pack where CI keeps its tools: its own folder, its own pinned runtime. Returns the installed pack folder. */
export function installPolicyPack(tarball: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "ci-policy-packs", private: true }));
  npm(["install", tarball], dir);
  return join(dir, "node_modules", "mailflow-guard-policy");
}

export interface StandIn {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the Local Exchange Online stand-in a project installed, through its bin. */
export async function startStandIn(
  project: string,
  statePath: string,
  tenants: Record<string, { acceptedDomains: string[] }>,
  token: string,
): Promise<StandIn> {
  const seed = `${statePath}.seed.json`;
  writeFileSync(seed, JSON.stringify({ tenants }));
  const child = spawn(
    join(project, "node_modules", ".bin", "mailflow-guard-local-exo"),
    ["--port", "0", "--state", statePath, "--seed", seed, "--token", token],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const url = await new Promise<string>((resolveUrl, fail) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      const match = /LOCAL_EXO_URL=(\S+)/.exec(out);
      if (match?.[1]) resolveUrl(match[1]);
    });
    child.on("exit", (code) => fail(new Error(`mailflow-guard-local-exo exited ${code} before listening`)));
  });
  return {
    url,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

/** Calls a cmdlet on the stand-in as Exchange Online's admin REST endpoint takes it (a change made outside Pulumi). */
export async function invokeCmdlet(
  url: string,
  tenant: string,
  token: string,
  cmdlet: string,
  parameters: Record<string, unknown>,
): Promise<unknown> {
  const response = await fetch(`${url}/adminapi/beta/${tenant}/InvokeCommand`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
  });
  if (!response.ok) throw new Error(`${cmdlet} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** Pulumi.yaml's reference to the plugin the project installed from npm. */
export const PLUGIN_REFERENCE = "plugins:\n  providers:\n    - name: mailflow\n      path: node_modules/mailflow-guard/plugin\n";
