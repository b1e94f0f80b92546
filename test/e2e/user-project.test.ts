import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { blockedExitCode, policyLine, policyPackAt, policySection, ROOT, Workspace } from "./harness";

/**
 * mailflow-guard as a user gets it: both packages packed with `npm pack`, installed into a fresh
 * TypeScript project outside the checkout (Pulumi's template tsconfig, an SDK version of its own),
 * gated by the installed pack, provisioned against the stand-ins it ships, then moved to another
 * folder with node_modules reinstalled — as a CI runner with the checkout elsewhere would — and
 * refreshed, changed and destroyed from there.
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
import { TenantConnectorPair } from "mailflow-guard";

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
`;

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8", stdio: "pipe" });
}

/** Starts the Local Exchange Online the package ships, through its installed bin. */
async function startStandIn(project: string, statePath: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const seed = join(project, "..", "seed.json");
  writeFileSync(seed, JSON.stringify({ tenants: TENANTS }));
  const child = spawn(
    join(project, "node_modules", ".bin", "mailflow-guard-local-exo"),
    ["--port", "0", "--state", statePath, "--seed", seed, "--token", TOKEN],
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
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

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
    const tarballs = join(workspace.dir, "tarballs");
    mkdirSync(tarballs, { recursive: true });
    const library = npm(["pack", "--ignore-scripts", "--pack-destination", tarballs], ROOT).trim().split("\n").at(-1) as string;
    const policy = npm(["pack", "--ignore-scripts", "--pack-destination", tarballs], join(ROOT, "policy"))
      .trim()
      .split("\n")
      .at(-1) as string;

    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "alice-infra", private: true, main: "index.ts", devDependencies: {}, dependencies: {} }, null, 2),
    );
    writeFileSync(join(project, "Pulumi.yaml"), "name: alice-infra\nruntime: nodejs\ndescription: two tenants\n");
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TEMPLATE_TSCONFIG, null, 2));
    writeFileSync(join(project, "index.ts"), PROGRAM);
    mkdirSync(join(project, "certs"));
    for (const cert of ["contoso-relay.pem", "fabrikam-relay.pem", "contoso-fabrikam-san.pem"])
      cpSync(join(ROOT, "examples", "certs", cert), join(project, "certs", cert));
    npm(["install", join(tarballs, library), `@pulumi/pulumi@${USER_SDK}`], project);
    npm(["install", "--save-dev", "typescript@5.9.3", "@types/node@22"], project);
    // The pack goes where CI keeps its tools: its own folder, its own pinned runtime.
    mkdirSync(packDir, { recursive: true });
    writeFileSync(join(packDir, "package.json"), JSON.stringify({ name: "ci-policy-packs", private: true }));
    npm(["install", join(tarballs, policy)], packDir);
    installedPack = join(packDir, "node_modules", "mailflow-guard-policy");

    const standIn = await startStandIn(project, join(workspace.dir, "exo.json"));
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

  it("takes over a stack whose state mailflow-guard 0.1.0 wrote (absolute paths), with one `pulumi up` that leaves Exchange alone", async () => {
    // Put the stack into 0.1.0's layout: each connector's provider serialized by 0.1.0's wrapper.
    const script = `const { runtime } = require("@pulumi/pulumi");
      const { lazyProvider } = require(${JSON.stringify(join(ROOT, "test/fixtures/layout-0.1.0/lazy-provider.js"))});
      (async () => {
        const out = {};
        for (const module of ["SendConnector", "InboundConnector"]) {
          const file = module === "SendConnector" ? "send-connector-impl" : "inbound-connector-impl";
          const provider = lazyProvider(require.resolve("mailflow-guard/providers/" + file));
          out[module] = (await runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
        }
        console.log(JSON.stringify(out));
      })();`;
    const old = JSON.parse(execFileSync("node", ["-e", script], { cwd: project, encoding: "utf8" })) as Record<string, string>;
    const exported = JSON.parse((await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout) as {
      deployment: { resources: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] };
    };
    let rewritten = 0;
    for (const resource of exported.deployment.resources) {
      const serialized = old[resource.type.replace("pulumi-nodejs:dynamic/mailflow:", "")];
      if (!resource.type.startsWith("pulumi-nodejs:dynamic/mailflow:") || serialized === undefined) continue;
      for (const props of [resource.inputs, resource.outputs]) if (props) props.__provider = serialized;
      rewritten++;
    }
    assert.equal(rewritten, 4);
    const stateFile = join(workspace.dir, "state-0.1.0.json");
    writeFileSync(stateFile, JSON.stringify(exported));
    await workspace.mustRun(["stack", "import", "--stack", "dev", "--file", stateFile], project);
    assert.ok(
      (await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout.includes(project),
      "the 0.1.0 layout names the project folder",
    );

    const onpremBefore = readFileSync(onPremState, "utf8");
    const refresh = await run(["refresh", "--yes", "--skip-preview"]);
    assert.equal(refresh.code, 0, refresh.output);
    const up = await workspace.pulumi(
      ["up", "--stack", "dev", "--yes", "--skip-preview", "--policy-pack", pack().arg],
      project,
      pack().env,
    );
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /4 updated/);
    assertNoPaths((await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout);
    assert.equal(readFileSync(onPremState, "utf8"), onpremBefore, "the take-over ran Exchange cmdlets");
    const again = await workspace.pulumi(["preview", "--stack", "dev", "--policy-pack", pack().arg], project, pack().env);
    assert.equal(again.code, 0, again.output);
    assert.doesNotMatch(again.output, /to update|to create|to delete/, again.output);
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
    assert.deepEqual(
      onprem.sendConnectors.map((connector) => connector.Name),
      ["Outbound to contoso.onmicrosoft.com"],
    );
    const destroy = await run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(destroy.code, 0, destroy.output);
    const after = JSON.parse(readFileSync(onPremState, "utf8")) as { sendConnectors: unknown[] };
    assert.deepEqual(after.sendConnectors, []);
  });

  /** State must name no folder: not the user's home, not the checkout, no absolute path at all. */
  function assertNoPaths(state: string): void {
    assert.equal(state.includes(home), false, "the state names the folder that wrote it");
    assert.equal(state.includes(ROOT), false, "the state names the checkout");
    assert.doesNotMatch(state, /\/(root|home|tmp|work)\//, "the state holds an absolute path");
  }
});
