import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, Workspace } from "./harness";
import { npm, packTarballs, PLUGIN_REFERENCE, type StandIn, startStandIn } from "../support/packed";

/**
 * A stack that mailflow-guard 0.1.x wrote (its connectors dynamic-provider resources) moves to the
 * provider plugin with one `pulumi up` that changes nothing in Exchange: the real 0.1.0 package
 * (test/fixtures/layout-0.1.x) writes the state, in its package-path layout and then in the older
 * absolute-path layout, and the current package takes it over.
 */
const TOKEN = "upgrade-token-93af";
const SDK = "3.260.0";
const TENANTS = {
  "contoso.onmicrosoft.com": { acceptedDomains: ["contoso.com", "relay.contoso.com"] },
  "fabrikam.onmicrosoft.com": { acceptedDomains: ["fabrikam.com", "relay.fabrikam.com"] },
};
const PROGRAM = `const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const { TenantConnectorPair } = require("mailflow-guard");
const config = new pulumi.Config();
const exchangeOnline = { endpoint: config.require("endpoint"), token: config.requireSecret("token") };
for (const short of ["contoso", "fabrikam"]) {
  new TenantConnectorPair(short, {
    tenant: { name: short + ".onmicrosoft.com", acceptedDomains: [short + ".com", "relay." + short + ".com"] },
    certificate: { pem: fs.readFileSync("certs/" + short + "-relay.pem", "utf8") },
    certificateName: "relay." + short + ".com",
    sendConnector: { sourceTransportServers: ["EX01"] },
    exchangeOnline,
    // Every script the on-premises shell is given is logged: the log shows what reached Exchange.
    onPremises: { shell: ["./logging-shell"] },
  });
}
`;

interface ExportedResource {
  type: string;
  urn: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

describe("upgrade in place: 0.1.x state to the provider plugin", () => {
  const workspace = new Workspace();
  const project = join(workspace.dir, "infra");
  const exoState = join(workspace.dir, "exo.json");
  const onPremState = join(workspace.dir, "onprem.json");
  const shellLog = join(workspace.dir, "onprem-scripts.log");
  let standIn: StandIn | undefined;
  let library = "";
  const run = (args: string[]) => workspace.pulumi([...args, "--stack", "dev"], project);
  const resources = async () =>
    (
      JSON.parse((await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout) as {
        deployment: { resources: ExportedResource[] };
      }
    ).deployment.resources;
  const connectorTypes = async () =>
    (await resources())
      .filter((r) => r.type.includes("Connector") && !r.type.includes("Pair"))
      .map((r) => r.type)
      .sort();

  before(async () => {
    library = packTarballs(ROOT, join(workspace.dir, "tarballs")).library;
    mkdirSync(join(project, "certs"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "infra", private: true, main: "index.js" }));
    writeFileSync(join(project, "Pulumi.yaml"), "name: infra\nruntime: nodejs\n");
    writeFileSync(join(project, "index.js"), PROGRAM);
    writeFileSync(
      join(project, "logging-shell"),
      `#!/bin/sh\ntee -a ${JSON.stringify(shellLog)} | "$(dirname "$0")/node_modules/.bin/mailflow-guard-exchange-shell-stand-in"\n`,
    );
    chmodSync(join(project, "logging-shell"), 0o755);
    for (const cert of ["contoso-relay.pem", "fabrikam-relay.pem"])
      cpSync(join(ROOT, "examples", "certs", cert), join(project, "certs", cert));
    npm(["install", join(ROOT, "test/fixtures/layout-0.1.x/mailflow-guard-0.1.0.tgz"), `@pulumi/pulumi@${SDK}`], project);
    standIn = await startStandIn(project, exoState, TENANTS, TOKEN);
    Object.assign(workspace.env, { MFG_FAKE_EXCHANGE_SHELL_STATE: onPremState, MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES: "certs" });
    await workspace.mustRun(["stack", "init", "dev"], project);
    await workspace.mustRun(["config", "--stack", "dev", "set", "endpoint", standIn.url], project);
    await workspace.mustRun(["config", "--stack", "dev", "set", "--secret", "token", TOKEN], project);
  });
  after(async () => {
    await standIn?.stop();
    workspace.dispose();
  });

  it("0.1.0 writes its dynamic-provider state", async () => {
    const up = await run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(await connectorTypes(), [
      "pulumi-nodejs:dynamic/mailflow:InboundConnector",
      "pulumi-nodejs:dynamic/mailflow:InboundConnector",
      "pulumi-nodejs:dynamic/mailflow:SendConnector",
      "pulumi-nodejs:dynamic/mailflow:SendConnector",
    ]);
  });

  it("the older absolute-path layout of the same state still refreshes once the new package is installed", async () => {
    // Put the stack into the pre-0.1.1 layout: each connector's provider serialized with the absolute
    // path of its implementation (the wrapper 0.1.0 shipped, kept in test/fixtures/layout-0.1.0).
    const script = `const { runtime } = require("@pulumi/pulumi");
      const { lazyProvider } = require(${JSON.stringify(join(ROOT, "test/fixtures/layout-0.1.0/lazy-provider.js"))});
      (async () => {
        const out = {};
        for (const [type, file] of [["SendConnector", "send-connector-impl"], ["InboundConnector", "inbound-connector-impl"]]) {
          const provider = lazyProvider(require.resolve("mailflow-guard/providers/" + file));
          out[type] = (await runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
        }
        console.log(JSON.stringify(out));
      })();`;
    const old = JSON.parse(execFileSync("node", ["-e", script], { cwd: project, encoding: "utf8" })) as Record<string, string>;
    const exported = JSON.parse((await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout) as {
      deployment: { resources: ExportedResource[] };
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
    assert.ok((await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout.includes(project), "not the 0.1.0 layout");

    // The upgrade: the new package in the old one's place, its plugin referenced from Pulumi.yaml.
    npm(["install", library], project);
    writeFileSync(join(project, "Pulumi.yaml"), `name: infra\nruntime: nodejs\n${PLUGIN_REFERENCE}`);
    // The old state's own provider reads Exchange through the new package's implementation.
    const refresh = await run(["refresh", "--yes", "--skip-preview"]);
    assert.equal(refresh.code, 0, refresh.output);
    assert.doesNotMatch(refresh.output, /deleted|error/, refresh.output);
  });

  it("one `pulumi up` moves every connector to the plugin's types: updated in state, nothing written to Exchange", async () => {
    const exoBefore = readFileSync(exoState, "utf8");
    const onPremBefore = readFileSync(onPremState, "utf8");
    const scriptsBefore = readFileSync(shellLog, "utf8");

    const preview = await run(["preview"]);
    assert.equal(preview.code, 0, preview.output);
    assert.match(preview.output, /~ 4 to update/, preview.output);
    assert.doesNotMatch(preview.output, /to replace|to create|to delete/, preview.output);
    const up = await run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /~ 4 updated/, up.output);

    // Local Exchange Online bumps WhenChanged on every Set-*: the same bytes mean no write at all.
    assert.equal(readFileSync(exoState, "utf8"), exoBefore, "Exchange Online was written to");
    assert.equal(readFileSync(onPremState, "utf8"), onPremBefore, "on-premises Exchange was written to");
    assert.equal(readFileSync(shellLog, "utf8"), scriptsBefore, "a script reached the on-premises shell");

    assert.deepEqual(await connectorTypes(), [
      "mailflow:exchange:InboundConnector",
      "mailflow:exchange:InboundConnector",
      "mailflow:exchange:SendConnector",
      "mailflow:exchange:SendConnector",
    ]);
    const state = (await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout;
    assert.equal(state.includes("__provider"), false, "provider code is still in the state");
    assert.equal(state.includes("pulumi-nodejs"), false, "the dynamic provider is still in the state");
    assert.equal(state.includes(TOKEN), false, "the token is in the state in plain text");
    assert.doesNotMatch(state, /\/(root|home|tmp|work)\//, "the state names a folder of this machine");

    const again = await run(["preview"]);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /Resources:\n\s+7 unchanged\n/, again.output);
  });

  it("then destroys through the plugin", async () => {
    const destroy = await run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(destroy.code, 0, destroy.output);
    assert.deepEqual((JSON.parse(readFileSync(onPremState, "utf8")) as { sendConnectors: unknown[] }).sendConnectors, []);
  });
});
