import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ExchangeOnlineClient, StaticTokenProvider } from "../../components/exo/client";
import { type LocalExchangeOnline, startLocalExchangeOnline } from "../../local-exchange-online/server";
import { assertNoTrace, diagnosticsSection, POLICY_PACK, ROOT, Workspace } from "./harness";
import { stackConfig, TENANTS } from "./root-project";

/**
 * The root project against the local stand-in for Exchange Online and the stand-in Exchange
 * Management Shell, through the real `pulumi up`, `refresh` and `destroy`.
 */
const TOKEN = "e2e-secret-token-4f1d9c";

describe("provisioning through `pulumi up` against the local Exchange Online stand-in", () => {
  let server: LocalExchangeOnline;
  let workspace: Workspace;
  let project: string;
  let configFile: string;
  let onPremState: string;
  const stack = "provision";
  const run = (args: string[]) => workspace.pulumi([...args, "--stack", stack], project);
  const connectors = (tenant: keyof typeof TENANTS) => server.state().tenants[tenant]?.inboundConnectors ?? [];
  const sendConnectors = () =>
    (JSON.parse(readFileSync(onPremState, "utf8")) as { sendConnectors: { Name: string; SourceTransportServers: string[] }[] })
      .sendConnectors;

  before(async () => {
    workspace = new Workspace();
    onPremState = join(workspace.dir, "onprem.json");
    Object.assign(workspace.env, { MAILFLOW_GUARD_EXO_TOKEN: TOKEN, MFG_FAKE_EXCHANGE_SHELL_STATE: onPremState });
    server = await startLocalExchangeOnline({ tenants: TENANTS, statePath: join(workspace.dir, "exo.json"), log: () => {} });
    // A connector this stack did not create: destroy must leave it alone.
    const client = new ExchangeOnlineClient({
      endpoint: server.url,
      tenant: "contoso.onmicrosoft.com",
      auth: new StaticTokenProvider(TOKEN),
    });
    await client.newInboundConnector({ Name: "Partner relay (not ours)", ConnectorType: "Partner", SenderDomains: ["partner.example"] });
    // The root project's compiled program, run from a throw-away copy of the project folder.
    project = workspace.project(ROOT, "dist/program/index.js");
    const init = await workspace.pulumi(["stack", "init", stack], project);
    configFile = join(project, `Pulumi.${stack}.yaml`);
    writeFileSync(
      configFile,
      `${readFileSync(configFile, "utf8").trimEnd()}\n${stackConfig(server.url).replace(/^(#|encryptionsalt:).*\n/gm, "")}`,
    );
    assert.equal(init.code, 0, init.output);
  });
  after(async () => {
    await server?.close();
    workspace?.dispose();
  });

  it("creates every connector pair through the gate, converging through 429 and 500 responses", async () => {
    server.injectFaults({ status: 429, retryAfter: 1 }, { status: 500 }, { status: 503, cmdlet: "New-InboundConnector" });
    const result = await run(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /\+ 13 created/);
    assert.deepEqual(server.pendingFaults(), []);
    assert.deepEqual(
      connectors("contoso.onmicrosoft.com")
        .map((c) => [c.Name, c.ConnectorType, c.TlsSenderCertificateName, c.RequireTls])
        .sort(),
      [
        ["Inbound from on-premises (relay.contoso.com)", "OnPremises", "relay.contoso.com", true],
        ["Partner relay (not ours)", "Partner", null, false],
        ["Vendor Signatures relay (s5hg3dcg.smtp.vendor.example)", "OnPremises", "s5hg3dcg.smtp.vendor.example", true],
      ],
    );
    assert.equal(connectors("contoso.onmicrosoft.com").find((c) => c.Name.startsWith("Vendor"))?.RestrictDomainsToCertificate, true);
    assert.deepEqual(
      connectors("fabrikam.onmicrosoft.com").map((c) => c.TlsSenderCertificateName),
      ["relay.fabrikam.com"],
    );
    assert.deepEqual(
      sendConnectors()
        .map((c) => c.Name)
        .sort(),
      ["Outbound to contoso.onmicrosoft.com", "Outbound to fabrikam.onmicrosoft.com", "Outbound to tailspintoys.onmicrosoft.com"],
    );
  });

  it("keeps the credentials out of the state in plain text", async () => {
    const exported = await run(["stack", "export"]);
    assert.equal(exported.code, 0, exported.output);
    assert.ok(!exported.stdout.includes(TOKEN), "the token appears in plain text in `pulumi stack export`");
    const stateDir = join(workspace.dir, ".pulumi", "stacks");
    const files = readdirSync(stateDir, { recursive: true })
      .map(String)
      .filter((file) => file.endsWith(".json"));
    assert.ok(files.length > 0);
    for (const file of files) assert.ok(!readFileSync(join(stateDir, file), "utf8").includes(TOKEN), `token in ${file}`);
    assert.match(
      exported.stdout,
      /"connection": \{\s*"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext"/,
    );
  });

  it("updates in place when the config changes", async () => {
    const current = readFileSync(configFile, "utf8");
    writeFileSync(configFile, current.replace("    - EX02\n", "    - EX02\n    - EX03\n"));
    const result = await run(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /~ 3 updated/);
    assert.doesNotMatch(result.output, /replaced/);
    for (const connector of sendConnectors()) assert.deepEqual(connector.SourceTransportServers, ["EX01", "EX02", "EX03"]);
  });

  it("shows an out-of-band change in `pulumi refresh` and puts it back on the next up", async () => {
    const client = new ExchangeOnlineClient({
      endpoint: server.url,
      tenant: "fabrikam.onmicrosoft.com",
      auth: new StaticTokenProvider(TOKEN),
    });
    await client.setInboundConnector("Inbound from on-premises (relay.fabrikam.com)", { RequireTls: false });
    const refresh = await run(["refresh", "--yes"]);
    assert.equal(refresh.code, 0, refresh.output);
    assert.match(refresh.output, /~ 1 updated\n\s+12 unchanged/);
    // The drift is recorded in the state...
    const exported = JSON.parse((await run(["stack", "export"])).stdout) as {
      deployment: { resources: { urn: string; outputs?: { requireTls?: boolean } }[] };
    };
    const fabrikam = exported.deployment.resources.find((resource) => resource.urn.endsWith("::hybrid-fabrikam-inbound"));
    assert.equal(fabrikam?.outputs?.requireTls, false);
    // ...and the next preview plans to put it back, touching nothing else.
    const preview = await run(["preview", "--diff"]);
    assert.equal(preview.code, 0, preview.output);
    assert.match(
      preview.output,
      /~ mailflow:exchange:InboundConnector: \(update\)\n\s+\[id=[^\]]+\]\n\s+\[urn=[^\]]+::hybrid-fabrikam-inbound\]/,
    );
    assert.match(preview.output, /~ 1 to update\n\s+12 unchanged/);
    const up = await run(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK]);
    assert.equal(up.code, 0, up.output);
    assert.equal(connectors("fabrikam.onmicrosoft.com")[0]?.RequireTls, true);
  });

  it("adopts, never duplicates, a connector whose create was interrupted after Exchange applied it", async () => {
    const tailspin = () => connectors("tailspintoys.onmicrosoft.com");
    const target = `urn:pulumi:${stack}::mailflow-guard::mailflow:exchange:HybridOrganization$mailflow:exchange:TenantConnectorPair$mailflow:exchange:InboundConnector::hybrid-tailspintoys-inbound`;
    const removed = await run(["destroy", "--yes", "--skip-preview", "--target", target]);
    assert.equal(removed.code, 0, removed.output);
    assert.equal(tailspin().length, 0);

    // Within one run: Exchange applies the create but answers 500, the retry is refused as a
    // duplicate, and the provider adopts the connector it made.
    server.injectFaults({ status: 500, afterCommit: true, cmdlet: "New-InboundConnector" });
    const retried = await run(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK]);
    assert.equal(retried.code, 0, retried.output);
    assert.deepEqual(
      tailspin().map((c) => c.Name),
      ["Inbound from on-premises (relay.tailspintoys.com)"],
    );

    // Across runs: the provider process dies after Exchange applied the create, before it answered.
    assert.equal((await run(["destroy", "--yes", "--skip-preview", "--target", target])).code, 0);
    server.injectFaults({ delayMs: 3_000, afterCommit: true, status: 500, cmdlet: "New-InboundConnector" });
    const interrupted = workspace.start(["up", "--yes", "--skip-preview", "--stack", stack], project);
    // The create is applied; the answer is still 3 s away: crash the provider now.
    while (tailspin().length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    interrupted.crashProvider();
    assert.notEqual(await interrupted.result, 0);
    assert.equal(tailspin().length, 1);
    const rerun = await run(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK]);
    assert.equal(rerun.code, 0, rerun.output);
    assert.deepEqual(
      tailspin().map((c) => c.Name),
      ["Inbound from on-premises (relay.tailspintoys.com)"],
    );
  });

  it("a destroy that on-premises Exchange would stop half-way deletes nothing, and says why", async () => {
    // The pairs' inbound connectors (an add-on relay has no Send Connector, so nothing to stop it).
    const pairs = () =>
      Object.keys(TENANTS).flatMap((t) =>
        connectors(t as keyof typeof TENANTS).filter((c) => c.Name.startsWith("Inbound from on-premises")),
      );
    const before = { inbound: pairs().length, send: sendConnectors().length };
    // The on-premises shell cannot run (its state, the stand-in's "server", is not given).
    const broken = await workspace.pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack], project, {
      MFG_FAKE_EXCHANGE_SHELL_STATE: "",
    });
    assert.notEqual(broken.code, 0, broken.output);
    assert.match(
      broken.output,
      /Not deleting inbound connector "[^"]+" of tenant "[a-z]+\.onmicrosoft\.com": its pair's Send Connector "Outbound to [a-z]+\.onmicrosoft\.com" is deleted next and on-premises Exchange cannot be reached \(.+\)\. Fix onPremises\.shell \(or its shellEnv\) and run the destroy again; nothing of this pair was deleted\./,
    );
    // Issue 18: this destroy printed 24 lines of `at …/onprem/runner.js:120:28` and the same message many times.
    assertNoTrace(broken.output);
    const named = [...diagnosticsSection(broken.output).matchAll(/Not deleting inbound connector "([^"]+)" of tenant "([^"]+)"/g)].map(
      (m) => `${m[2]}/${m[1]}`,
    );
    assert.ok(named.length > 0, broken.output);
    assert.equal(new Set(named).size, named.length, `each connector's message once:\n${broken.output}`);
    assert.ok(before.inbound > 0);
    assert.equal(pairs().length, before.inbound, "an inbound connector of a pair was deleted before the destroy stopped");
    assert.equal(sendConnectors().length, before.send);
  });

  it("destroys only what the stack created", async () => {
    const result = await run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(
      connectors("contoso.onmicrosoft.com").map((c) => c.Name),
      ["Partner relay (not ours)"],
    );
    assert.deepEqual(connectors("fabrikam.onmicrosoft.com"), []);
    assert.deepEqual(sendConnectors(), []);
  });
});
