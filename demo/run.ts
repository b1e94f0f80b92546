import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The README's demo: the policy gate blocking a misconfigured stack, then the root project's
 * three tenants previewed through the gate and created against the LOCAL STAND-IN for Exchange
 * Online (and the stand-in Exchange Management Shell), then what was created.
 */
const ROOT = resolve(__dirname, "..", "..");
const WORK = join(ROOT, ".mailflow-guard", "demo");
const EXPECTED_RESOURCES = 13;
const PORT = 18710; // Pulumi.demo.yaml points the root project here
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

/** Runs pulumi with the output shown as is; returns the exit code. */
function pulumi(args: string[], cwd: string): number {
  process.stdout.write(`$ (cd ${cwd === ROOT ? "." : cwd.replace(`${ROOT}/`, "")} && pulumi ${args.join(" ")})\n`);
  const result = spawnSync("pulumi", [...args, "--non-interactive"], { cwd, env, stdio: "inherit" });
  return result.status ?? 1;
}

function must(code: number, what: string): void {
  if (code !== 0) throw new Error(`${what} failed (exit ${code}); see the output above.`);
}

async function startLocalExchangeOnline(): Promise<ChildProcess> {
  const server = spawn(
    process.execPath,
    [
      join(ROOT, "dist/local-exchange-online/main.js"),
      "--port",
      String(PORT),
      "--state",
      join(WORK, "exo-state.json"),
      "--seed",
      join(ROOT, "demo/seed.json"),
    ],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((ready, fail) => {
    let out = "";
    server.stdout?.on("data", (chunk: Buffer) => {
      out += chunk;
      if (out.includes("LOCAL_EXO_URL=")) ready();
    });
    server.on("exit", (code) => fail(new Error(`Local Exchange Online did not start (exit ${code}); is port ${PORT} in use?`)));
  });
  return server;
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, "pulumi-state"), { recursive: true });

  banner("1/4  A misconfigured stack: two tenants share one certificate (examples/shared-certificate)");
  // Run from a copy of the project folder, so the stack's config file stays out of the checkout.
  const sharedDir = join(WORK, "shared-certificate");
  mkdirSync(sharedDir);
  copyFileSync(join(ROOT, "examples/shared-certificate/Pulumi.yaml"), join(sharedDir, "Pulumi.yaml"));
  writeFileSync(
    join(sharedDir, "package.json"),
    JSON.stringify({ name: "shared-certificate", private: true, main: "../../../dist/examples/shared-certificate/index.js" }),
  );
  symlinkSync(join(ROOT, "node_modules"), join(sharedDir, "node_modules"));
  must(pulumi(["stack", "init", "demo"], sharedDir), "pulumi stack init");
  const blocked = pulumi(["preview", "--policy-pack", POLICY], sharedDir);
  if (blocked === 0) throw new Error("the gate let the shared certificate through");
  process.stdout.write(`\n-> blocked by the policy pack (pulumi exited ${blocked}); nothing was created.\n`);

  banner(`2/4  Starting Local Exchange Online on 127.0.0.1:${PORT} (a local stand-in for Exchange Online, not Microsoft's service)`);
  const server = await startLocalExchangeOnline();
  try {
    banner("3/4  The root project: three tenants and an add-on relay (Pulumi.demo.yaml), previewed through the gate, then created");
    must(pulumi(["stack", "init", "demo"], ROOT), "pulumi stack init");
    must(pulumi(["preview", "--policy-pack", POLICY], ROOT), "the gated preview");
    must(pulumi(["up", "--yes", "--skip-preview", "--policy-pack", POLICY], ROOT), "pulumi up");
    // The root project must have run its program, not loaded the library (package.json "exports"):
    // the stack, three pairs of three and an add-on relay of three.
    const exported = spawnSync("pulumi", ["stack", "export"], { cwd: ROOT, env, encoding: "utf8" });
    const resources = (JSON.parse(exported.stdout) as { deployment: { resources?: { type: string }[] } }).deployment.resources ?? [];
    const created = resources.filter((resource) => !resource.type.startsWith("pulumi:providers:")).length;
    if (created !== EXPECTED_RESOURCES) throw new Error(`pulumi up created ${created} resources, expected ${EXPECTED_RESOURCES}`);
    process.stdout.write(`\n-> ${created} resources in the stack, as expected.\n`);

    banner("4/4  What was created");
    const response = await fetch(`http://127.0.0.1:${PORT}/_admin/state`);
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
    process.stdout.write(`\nDemo complete. State is in ${WORK.replace(`${ROOT}/`, "")}; run it again to start over.\n`);
  } finally {
    server.kill("SIGTERM");
  }
}

main().catch((error: Error) => {
  process.stderr.write(`demo: ${error.message}\n`);
  process.exitCode = 1;
});
