import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { newSendConnectorScript } from "../../components/onprem/send-connector-script";
import { assertNoTrace, blockedExitCode, countInDiagnostics, policyLine, policyPackAt, policySection, ROOT, Workspace } from "./harness";
import { installPolicyPack, npm, packTarballs, PLUGIN_REFERENCE, startStandIn } from "../support/packed";

/**
 * mailflow-guard as a user gets it: both packages packed with `npm pack`, installed into a fresh
 * TypeScript project outside the checkout (Pulumi's template tsconfig, an SDK version of its own),
 * gated by the installed pack, provisioned against the stand-ins it ships through the package's
 * provider plugin, an existing Send Connector imported, then moved to another folder with
 * node_modules reinstalled — as a CI runner with the checkout elsewhere would — and refreshed,
 * changed and destroyed from there. (test/e2e/upgrade.test.ts takes over 0.1.x state.)
 */
// A version inside the declared peer range that is neither end of it: npm must keep it, not add its own.
const USER_SDK = "3.260.0";
const TOKEN = "user-project-token-7c21";
const TENANTS = {
  "contoso.onmicrosoft.com": { acceptedDomains: ["contoso.com", "relay.contoso.com"] },
  "fabrikam.onmicrosoft.com": { acceptedDomains: ["fabrikam.com", "relay.fabrikam.com"] },
};

// The stock tsconfig of Pulumi's TypeScript template (pulumi/templates, typescript/): no skipLibCheck.
const TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

// The user's program: two tenants, each its own certificate unless config says to share one.
const PROGRAM = `import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { SendConnector, TenantConnectorPair } from "mailflow-guard";

const config = new pulumi.Config();
const exchangeOnline = { endpoint: config.require("endpoint"), token: config.requireSecret("token") };
const onPremises = { shell: ["node_modules/.bin/mailflow-guard-exchange-shell-stand-in"] };
const tenants = config.requireObject<string[]>("tenants");
const shared = config.getBoolean("shareCertificate") ?? false;

export const pairs = tenants.map((tenant) => {
  const short = tenant.split(".")[0];
  const pem = fs.readFileSync(shared ? "certs/contoso-fabrikam-san.pem" : \`certs/\${short}-relay.pem\`, "utf8");
  const pair = new TenantConnectorPair(short, {
    tenant: { name: tenant, acceptedDomains: [\`\${short}.com\`, \`relay.\${short}.com\`] },
    certificate: { pem },
    certificateName: \`relay.\${short}.com\`,
    sendConnector: { sourceTransportServers: ["EX01"] },
    exchangeOnline,
    onPremises,
  });
  return pair.certificateThumbprint;
});

// A Send Connector (to another tenant's path) that existed before this stack, imported with \`pulumi import\` and declared here.
if (config.getBoolean("declareLegacy")) {
  new SendConnector("legacy-send", {
    name: "Legacy outbound",
    tenants: ["northwind.onmicrosoft.com"],
    addressSpaces: ["northwind.mail.onmicrosoft.com"],
    smartHosts: ["northwind.mail.protection.outlook.com"],
    dnsRoutingEnabled: false,
    requireTls: true,
    tlsAuthLevel: "DomainValidation",
    tlsDomain: "mail.protection.outlook.com",
    cloudServicesMailEnabled: true,
    sourceTransportServers: ["EX02"],
    shell: onPremises.shell,
  });
}
`;

describe("as a user: the packed packages in a fresh project outside the checkout", () => {
  const workspace = new Workspace();
  const home = join(workspace.dir, "home-of-alice");
  let project = join(home, "infra");
  const packDir = join(workspace.dir, "tools", "policy-pack");
  let installedPack = "";
  let stopStandIn: () => Promise<void> = async () => {};
  const onPremState = join(workspace.dir, "onprem.json");
  // Every command names the stack: the selected stack is remembered per folder, and the folder moves.
  const run = (args: string[]) => workspace.pulumi([...args, "--stack", "dev"], project);
  const pack = () => policyPackAt(installedPack);

  before(async () => {
    // npm pack of what was built (set-up built it; publishing runs the same build on prepack).
    const tarballs = packTarballs(ROOT, join(workspace.dir, "tarballs"));

    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "alice-infra", private: true, main: "index.ts", devDependencies: {}, dependencies: {} }, null, 2),
    );
    writeFileSync(join(project, "Pulumi.yaml"), `name: alice-infra\nruntime: nodejs\ndescription: two tenants\n${PLUGIN_REFERENCE}`);
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TEMPLATE_TSCONFIG, null, 2));
    writeFileSync(join(project, "index.ts"), PROGRAM);
    mkdirSync(join(project, "certs"));
    for (const cert of ["contoso-relay.pem", "fabrikam-relay.pem", "contoso-fabrikam-san.pem"])
      cpSync(join(ROOT, "examples", "certs", cert), join(project, "certs", cert));
    npm(["install", tarballs.library, `@pulumi/pulumi@${USER_SDK}`], project);
    npm(["install", "--save-dev", "typescript@5.9.3", "@types/node@22"], project);
    installedPack = installPolicyPack(tarballs.policy, packDir);

    const standIn = await startStandIn(project, join(workspace.dir, "exo.json"), TENANTS, TOKEN);
    stopStandIn = standIn.stop;
    // The stand-in shell's certificate store: the public PEMs "installed" on the stand-in server,
    // a folder relative to the project (the shell runs there).
    Object.assign(workspace.env, { MFG_FAKE_EXCHANGE_SHELL_STATE: onPremState, MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES: "certs" });
    const init = await workspace.pulumi(["stack", "init", "dev"], project);
    assert.equal(init.code, 0, init.output);
    await workspace.mustRun(["config", "--stack", "dev", "set", "endpoint", standIn.url], project);
    await workspace.mustRun(["config", "--stack", "dev", "set", "--secret", "token", TOKEN], project);
    await workspace.mustRun(["config", "--stack", "dev", "set", "--path", "tenants[0]", "contoso.onmicrosoft.com"], project);
    await workspace.mustRun(["config", "--stack", "dev", "set", "--path", "tenants[1]", "fabrikam.onmicrosoft.com"], project);
    // How the provider runs on-premises scripts when a resource does not say (an import). The stack's
    // provider records its configuration at the first up, and \`pulumi import\` uses that record.
    await workspace.mustRun(
      ["config", "--stack", "dev", "set", "mailflow:onPremisesShell", '["node_modules/.bin/mailflow-guard-exchange-shell-stand-in"]'],
      project,
    );
  });
  after(async () => {
    await stopStandIn();
    workspace.dispose();
  });

  it("installs only what a user needs, and one SDK: the user's", () => {
    const listing = JSON.parse(npm(["ls", "@pulumi/pulumi", "--all", "--json"], project)) as {
      dependencies: Record<string, { version: string; dependencies?: Record<string, { version: string }> }>;
    };
    const versions = new Set<string>();
    const walk = (deps: Record<string, { version: string; dependencies?: object }> | undefined) => {
      for (const [key, value] of Object.entries(deps ?? {})) {
        if (key === "@pulumi/pulumi") versions.add(value.version);
        walk(value.dependencies as typeof deps);
      }
    };
    walk(listing.dependencies);
    assert.deepEqual([...versions], [USER_SDK]);
    const installed = join(project, "node_modules", "mailflow-guard");
    const files = execFileSync("find", [".", "-type", "f"], { cwd: installed, encoding: "utf8" }).split("\n");
    assert.ok(files.includes("./dist/components/index.js"), files.join("\n"));
    assert.ok(files.includes("./dist/cli/main.js"));
    for (const unwanted of ["/test/", "/bench/", "/tools/", "/demo/", "/examples/", ".map", "Pulumi.yaml", "/program/"])
      assert.equal(files.filter((file) => file.includes(unwanted)).length, 0, `${unwanted} in the package:\n${files.join("\n")}`);
    const help = execFileSync(join(project, "node_modules", ".bin", "mailflow-guard"), ["--help"], { encoding: "utf8" });
    assert.match(help, /^Usage: mailflow-guard <command>/);
  });

  it("type-checks the user's program with Pulumi's template tsconfig (no skipLibCheck)", () => {
    execFileSync(join(project, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], { cwd: project, stdio: "pipe" });
  });

  it("blocks two tenants sharing one certificate through the installed pack, and passes the clean config", async () => {
    await workspace.mustRun(["config", "--stack", "dev", "set", "shareCertificate", "true"], project);
    const blocked = await workspace.pulumi(["preview", "--stack", "dev", "--policy-pack", pack().arg], project, pack().env);
    assert.equal(blocked.code, blockedExitCode(), blocked.output);
    const policies = policySection(blocked.output);
    assert.match(policies, policyLine("mandatory", "certificate-not-shared-across-tenants"), blocked.output);
    assert.match(policies, /is used for 2 tenants: "contoso\.onmicrosoft\.com", "fabrikam\.onmicrosoft\.com"/, blocked.output);

    await workspace.mustRun(["config", "--stack", "dev", "rm", "shareCertificate"], project);
    const clean = await workspace.pulumi(["preview", "--stack", "dev", "--policy-pack", pack().arg], project, pack().env);
    assert.equal(clean.code, 0, clean.output);
    assert.doesNotMatch(policySection(clean.output), /\[mandatory\]|\[advisory\]/);
  });

  it("provisions with state that names no folder of the machine that wrote it", async () => {
    const up = await workspace.pulumi(
      ["up", "--stack", "dev", "--yes", "--skip-preview", "--policy-pack", pack().arg],
      project,
      pack().env,
    );
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /7 created/);
    assertNoPaths((await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout);
  });

  it("imports a Send Connector made outside Pulumi, and the program that declares it previews with no change", async () => {
    const script = newSendConnectorScript({
      name: "Legacy outbound",
      addressSpaces: ["northwind.mail.onmicrosoft.com"],
      smartHosts: ["northwind.mail.protection.outlook.com"],
      sourceTransportServers: ["EX02"],
      requireTls: true,
      tlsAuthLevel: "DomainValidation",
      tlsDomain: "mail.protection.outlook.com",
      cloudServicesMailEnabled: true,
      dnsRoutingEnabled: false,
      usage: "Custom",
    });
    execFileSync(join(project, "node_modules", ".bin", "mailflow-guard-exchange-shell-stand-in"), [], {
      input: script,
      cwd: project,
      env: workspace.env,
    });
    // Issue 18: any failed up printed 14–28 lines of gRPC trace. Declared without the import, the
    // connector's create is refused by the provider: its one line, once, and no trace.
    await workspace.mustRun(["config", "--stack", "dev", "set", "declareLegacy", "true"], project);
    const refused = await run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(refused.code, 0, refused.output);
    const refusal = 'Send connector "Legacy outbound" already exists on-premises and is not managed by ';
    assert.equal(countInDiagnostics(refused.output, refusal), 1, refused.output);
    assertNoTrace(refused.output);
    await workspace.mustRun(["config", "--stack", "dev", "rm", "declareLegacy"], project);

    // The engine hands an import the ID only: the shell comes from the provider's configuration (set in before()).
    const imported = await run([
      "import",
      "mailflow:exchange:SendConnector",
      "legacy-send",
      "Legacy outbound",
      "--generate-code=false",
      "--protect=false",
      "--yes",
    ]);
    assert.equal(imported.code, 0, imported.output);
    assert.match(imported.output, /= +mailflow:exchange:SendConnector +legacy-send +imported/, imported.output);

    await workspace.mustRun(["config", "--stack", "dev", "set", "declareLegacy", "true"], project);
    const preview = await workspace.pulumi(["preview", "--stack", "dev", "--policy-pack", pack().arg], project, pack().env);
    assert.equal(preview.code, 0, preview.output);
    assert.match(preview.output, /Resources:\n\s+8 unchanged\n/, preview.output);
  });

  it("refreshes, changes and destroys from another folder with node_modules reinstalled", async () => {
    // The CI runner: the same repository checked out elsewhere, dependencies installed afresh.
    const moved = join(workspace.dir, "runner", "_work", "infra");
    mkdirSync(join(moved, ".."), { recursive: true });
    rmSync(join(project, "node_modules"), { recursive: true, force: true });
    renameSync(project, moved);
    rmSync(home, { recursive: true, force: true });
    project = moved;
    npm(["ci"], project);

    const refresh = await run(["refresh", "--yes", "--skip-preview"]);
    assert.equal(refresh.code, 0, refresh.output);
    await workspace.mustRun(["config", "--stack", "dev", "set", "--path", "tenants", '["contoso.onmicrosoft.com"]'], project);
    const shrink = await workspace.pulumi(
      ["up", "--stack", "dev", "--yes", "--skip-preview", "--policy-pack", pack().arg],
      project,
      pack().env,
    );
    assert.equal(shrink.code, 0, shrink.output);
    assert.match(shrink.output, /3 deleted/);
    const onprem = JSON.parse(readFileSync(onPremState, "utf8")) as { sendConnectors: { Name: string }[] };
    assert.deepEqual(onprem.sendConnectors.map((connector) => connector.Name).sort(), [
      "Legacy outbound",
      "Outbound to contoso.onmicrosoft.com",
    ]);
    const destroy = await run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(destroy.code, 0, destroy.output);
    const after = JSON.parse(readFileSync(onPremState, "utf8")) as { sendConnectors: unknown[] };
    assert.deepEqual(after.sendConnectors, [], "the imported Send Connector is destroyed with the stack");
  });

  /** State must name no folder: not the user's home, not the checkout, no absolute path at all. */
  function assertNoPaths(state: string): void {
    assert.equal(state.includes(home), false, "the state names the folder that wrote it");
    assert.equal(state.includes(ROOT), false, "the state names the checkout");
    assert.doesNotMatch(state, /\/(root|home|tmp|work)\//, "the state holds an absolute path");
  }
});
