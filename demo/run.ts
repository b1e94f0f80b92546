import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BROWNFIELD_TENANTS, BrownfieldEstate } from "../test/support/brownfield";
import { makeCertificatePem } from "../test/support/certs";
import { copyProject } from "../test/support/project-copy";
import { oneRowPerResource } from "./pulumi-display";
import { answerWith, carryOut, copyPlanIntoProject, parseRunbook } from "../test/support/runbook";

/**
 * The README's demo: the policy gate blocking a misconfigured stack, then the root project's
 * three tenants previewed through the gate and created against the LOCAL STAND-IN for Exchange
 * Online (and the stand-in Exchange Management Shell), then what was created.
 */
const ROOT = resolve(__dirname, "..", "..");
const WORK = join(ROOT, ".mailflow-guard", "demo");
const EXPECTED_RESOURCES = 13;
// Both stand-ins listen on a free port (port 0), never a fixed one a user's own stand-in may hold;
// the root project's stack config is given the URL the first one got (demoConfigFile).
const DEMO_ENDPOINT_LINE = "mailflow-guard:exchangeOnlineEndpoint: http://127.0.0.1:18710";
// What to give --policy-pack here (scripts/pulumi-env.sh): the pack, or the adapter that starts it.
const POLICY = process.env.MAILFLOW_GUARD_POLICY_PACK ?? join(ROOT, "policy");

const env: NodeJS.ProcessEnv = {
  ...process.env,
  PULUMI_BACKEND_URL: `file://${join(WORK, "pulumi-state")}`,
  PULUMI_CONFIG_PASSPHRASE: "mailflow-guard-demo",
  MAILFLOW_GUARD_EXO_TOKEN: "local-stand-in-token",
  MFG_FAKE_EXCHANGE_SHELL_STATE: join(WORK, "onprem-state.json"),
};

function banner(text: string): void {
  process.stdout.write(`\n\x1b[1m==> ${text}\x1b[0m\n`);
}

/** Runs pulumi, its output shown with one row per resource; returns the exit code. */
function pulumi(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): number {
  process.stdout.write(`$ (cd ${cwd === ROOT ? "." : cwd.replace(`${ROOT}/`, "")} && pulumi ${args.join(" ")})\n`);
  const result = spawnSync("pulumi", [...args, "--non-interactive"], {
    cwd,
    env: { ...env, ...extraEnv },
    stdio: ["inherit", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(oneRowPerResource(result.stdout ?? ""));
  return result.status ?? 1;
}

/** Runs the mailflow-guard CLI with its output shown as is; returns the exit code. */
function mailflowGuard(args: string[], cwd = ROOT): number {
  process.stdout.write(`$ mailflow-guard ${args.map((a) => a.replace(`${ROOT}/`, "")).join(" ")}\n`);
  const result = spawnSync(process.execPath, [join(ROOT, "dist/cli/main.js"), ...args], { cwd, env, stdio: "inherit" });
  return result.status ?? 1;
}

function must(code: number, what: string): void {
  if (code !== 0) throw new Error(`${what} failed (exit ${code}); see the output above.`);
}

async function startLocalExchangeOnline(
  state = join(WORK, "exo-state.json"),
  seed = join(ROOT, "demo/seed.json"),
): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(
    process.execPath,
    [join(ROOT, "dist/local-exchange-online/main.js"), "--port", "0", "--state", state, "--seed", seed],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((ready, fail) => {
    let out = "";
    server.stdout?.on("data", (chunk: Buffer) => {
      out += chunk;
      const found = /LOCAL_EXO_URL=(\S+)/.exec(out);
      if (found) ready(found[1] as string);
    });
    server.on("exit", (code) => fail(new Error(`Local Exchange Online did not start (exit ${code}); its message is above.`)));
  });
  return { server, url };
}

/** Pulumi.demo.yaml with the stand-in's URL, outside the checkout (pulumi --config-file), so the tracked file never changes. */
function demoConfigFile(url: string): string {
  const text = readFileSync(join(ROOT, "Pulumi.demo.yaml"), "utf8");
  if (!text.includes(DEMO_ENDPOINT_LINE)) throw new Error(`Pulumi.demo.yaml no longer has the line "${DEMO_ENDPOINT_LINE}"`);
  const file = join(WORK, "Pulumi.demo.yaml");
  writeFileSync(file, text.replace(DEMO_ENDPOINT_LINE, `mailflow-guard:exchangeOnlineEndpoint: ${url}`));
  return file;
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, "pulumi-state"), { recursive: true });

  banner("1/5  A misconfigured stack: two tenants share one certificate (examples/shared-certificate)");
  // Run from a copy of the project folder, so the stack's config file stays out of the checkout.
  const sharedDir = copyProject(
    ROOT,
    join(ROOT, "examples/shared-certificate"),
    join(WORK, "shared-certificate"),
    "dist/examples/shared-certificate/index.js",
  );
  must(pulumi(["stack", "init", "demo"], sharedDir), "pulumi stack init");
  const blocked = pulumi(["preview", "--policy-pack", POLICY], sharedDir);
  if (blocked === 0) throw new Error("the gate let the shared certificate through");
  process.stdout.write(`\n-> blocked by the policy pack (pulumi exited ${blocked}); nothing was created.\n`);

  banner("2/5  Starting Local Exchange Online on a free port of 127.0.0.1 (a local stand-in for Exchange Online, not Microsoft's service)");
  const { server, url } = await startLocalExchangeOnline();
  process.stdout.write(`Local Exchange Online listens on ${url}\n`);
  try {
    banner("3/5  The root project: three tenants and an add-on relay (Pulumi.demo.yaml), previewed through the gate, then created");
    const configFile = ["--config-file", demoConfigFile(url)];
    must(pulumi(["stack", "init", "demo"], ROOT), "pulumi stack init");
    must(pulumi(["preview", ...configFile, "--policy-pack", POLICY], ROOT), "the gated preview");
    must(pulumi(["up", ...configFile, "--yes", "--skip-preview", "--policy-pack", POLICY], ROOT), "pulumi up");
    // The root project must have run its program, not loaded the library (package.json "exports"):
    // the stack, three pairs of three and an add-on relay of three.
    const exported = spawnSync("pulumi", ["stack", "export"], { cwd: ROOT, env, encoding: "utf8" });
    const resources = (JSON.parse(exported.stdout) as { deployment: { resources?: { type: string }[] } }).deployment.resources ?? [];
    const created = resources.filter((resource) => !resource.type.startsWith("pulumi:providers:")).length;
    if (created !== EXPECTED_RESOURCES) throw new Error(`pulumi up created ${created} resources, expected ${EXPECTED_RESOURCES}`);
    process.stdout.write(`\n-> ${created} resources in the stack, as expected.\n`);

    banner("4/5  What was created");
    const response = await fetch(`${url}/_admin/state`);
    const state = (await response.json()) as {
      tenants: Record<string, { inboundConnectors: { Name: string; TlsSenderCertificateName: string | null }[] }>;
    };
    process.stdout.write("Exchange Online (local stand-in) inbound connectors:\n");
    for (const [tenant, { inboundConnectors }] of Object.entries(state.tenants)) {
      for (const connector of inboundConnectors)
        process.stdout.write(
          `  ${tenant.padEnd(30)} ${connector.Name}  [TlsSenderCertificateName ${connector.TlsSenderCertificateName}]\n`,
        );
    }
    const onprem = JSON.parse(readFileSync(env.MFG_FAKE_EXCHANGE_SHELL_STATE as string, "utf8")) as {
      sendConnectors: { Name: string; SmartHosts: string[] }[];
    };
    process.stdout.write("On-premises Send Connectors (stand-in Exchange Management Shell):\n");
    for (const connector of onprem.sendConnectors)
      process.stdout.write(`  ${connector.Name.padEnd(45)} -> ${connector.SmartHosts.join(", ")}\n`);
  } finally {
    server.kill("SIGTERM");
  }
  await migrationAct();
  process.stdout.write(`\nDemo complete. State is in ${WORK.replace(`${ROOT}/`, "")}; run it again to start over.\n`);
}

/**
 * Act 5, from finding to fix: a brownfield organization (two tenants on one IP-only setup, two
 * sharing a certificate) in a second local stand-in, audited, planned with `mailflow-guard plan`, and
 * the runbook it writes carried out as written: its Exchange Management Shell blocks in the stand-in
 * shell, its Exchange Online blocks against the stand-in (one tenant per session), a TEST CA answering
 * the certificate requests, the gated preview and `pulumi up`, the re-export and its audit.
 */
async function migrationAct(): Promise<void> {
  const dir = join(WORK, "migration");
  const work = join(dir, "admin");
  mkdirSync(work, { recursive: true });
  const seed = join(dir, "seed.json");
  writeFileSync(seed, JSON.stringify({ tenants: BROWNFIELD_TENANTS }));
  banner("5/5  From finding to fix: a brownfield organization in a second Local Exchange Online stand-in and stand-in shell");
  const { server, url: endpoint } = await startLocalExchangeOnline(join(dir, "exo-state.json"), seed);
  try {
    const shellEnv = {
      MFG_FAKE_EXCHANGE_SHELL_STATE: join(dir, "onprem-state.json"),
      MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES: join(dir, "onprem-certificates"),
      MFG_FAKE_EXCHANGE_SHELL_FILES: join(dir, "disks"),
      MFG_FAKE_EXCHANGE_SHELL_SERVER: "EX01",
      // The app registration the runbook's Exchange Online sessions name (the stand-in takes any token).
      MAILFLOW_GUARD_APP_ID: "00000000-0000-4000-8000-00000000demo",
      MAILFLOW_GUARD_APP_CERTIFICATE_THUMBPRINT: "0000000000000000000000000000000000000000",
    };
    Object.assign(env, shellEnv);
    Object.assign(process.env, shellEnv);
    const estate = new BrownfieldEstate(
      endpoint,
      env.MAILFLOW_GUARD_EXO_TOKEN as string,
      shellEnv.MFG_FAKE_EXCHANGE_SHELL_STATE,
      join(work, "exports"),
      shellEnv.MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES,
    );
    await estate.seed();
    const live = [
      ...Object.keys(BROWNFIELD_TENANTS).flatMap((tenant) => ["--live", tenant]),
      "--endpoint",
      endpoint,
      "--token-env",
      "MAILFLOW_GUARD_EXO_TOKEN",
    ];
    const found = mailflowGuard(["audit", ...live, "exports"], work);
    if (found !== 1) throw new Error(`the audit of the brownfield organization exited ${found}, not 1`);
    process.stdout.write(`\n-> audit exited 1: the defects MC1226222 warns about.\n\n`);
    const report = join(work, "report.html");
    if (mailflowGuard(["audit", ...live, "exports", "--format", "html", "--output", report], work) !== 1)
      throw new Error("the HTML audit did not exit 1");
    process.stdout.write(`\n-> the same audit as one page to open, with the attribution map: ${report.replace(`${ROOT}/`, "")}\n\n`);
    must(mailflowGuard(["plan", ...live, "exports", "--output", "plan"], work), "mailflow-guard plan");
    const runbookFile = join(work, "plan", "runbook.md");
    process.stdout.write(`\n-> ${runbookFile.replace(`${ROOT}/`, "")} written; carrying it out step by step:\n`);
    process.stdout.write(
      `\n-> the map today and after the plan, side by side: ${join(work, "plan", "report.html").replace(`${ROOT}/`, "")}\n`,
    );

    // Run from a copy of the root project, as an admin would with the generated config and certificates.
    const project = copyProject(ROOT, ROOT, join(dir, "project"), "dist/program/index.js");
    const shellScript = join(ROOT, "dist/local-exchange-online/fake-exchange-shell.js");
    const context = {
      shellScript,
      cwd: work,
      env,
      endpoint,
      token: env.MAILFLOW_GUARD_EXO_TOKEN as string,
      answerRequests: answerWith((dnsNames) => makeCertificatePem({ dnsNames, organization: "Demo (TEST CA)" })),
      sh: async (lines: readonly string[]) => {
        for (const line of lines) {
          const [tool, ...args] = line.split(" ");
          const code =
            tool === "pulumi"
              ? pulumi(
                  args[0] === "up"
                    ? [...args.map((a) => (a === "policy" ? POLICY : a)), "--yes"]
                    : args.map((a) => (a === "policy" ? POLICY : a)),
                  project,
                )
              : mailflowGuard(args, work);
          must(code, line);
        }
      },
    };
    for (const step of parseRunbook(readFileSync(runbookFile, "utf8"))) {
      banner(`     runbook: ${step.title}`);
      if (/^Gate the target/.test(step.title)) {
        const copied = copyPlanIntoProject({
          planDir: join(work, "plan"),
          project,
          disks: shellEnv.MFG_FAKE_EXCHANGE_SHELL_FILES,
          shellScript,
        });
        process.stdout.write(
          `-> copied Pulumi.migration.yaml and ${copied.join(", ")} (issued by a TEST CA, not a real one) into the project\n`,
        );
      }
      for (const line of await carryOut(step, context)) process.stdout.write(`${line}\n`);
      if (/^Check that mail arrives/.test(step.title))
        process.stdout.write("-> (the stand-in delivers no mail: the X-MS-Exchange-CrossTenant-Id header check is the admin's)\n");
    }
    process.stdout.write("\nOn-premises Send Connectors now (stand-in Exchange Management Shell):\n");
    for (const connector of estate.sendConnectors())
      process.stdout.write(`  ${connector.Name.padEnd(40)} -> ${connector.SmartHosts.join(", ")}\n`);
  } finally {
    server.kill("SIGTERM");
  }
}

main().catch((error: Error) => {
  process.stderr.write(`demo: ${error.message}\n`);
  process.exitCode = 1;
});
