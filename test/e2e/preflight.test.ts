import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type LocalExchangeOnline, startLocalExchangeOnline } from "../../local-exchange-online/server";
import { assertNoTrace, countInDiagnostics, ROOT, Workspace } from "./harness";
import { stackConfig, TENANTS } from "./root-project";

/**
 * A connector pair checks Exchange Online before it touches on-premises Exchange: with a token the
 * service refuses, `pulumi up` creates nothing on either side (Local Exchange Online, a stand-in
 * for Exchange Online, and the stand-in Exchange Management Shell).
 */
describe("a bad credential creates nothing on either side", () => {
  let server: LocalExchangeOnline;
  let workspace: Workspace;
  let project: string;
  let onPremState: string;
  const stack = "preflight";
  const sendConnectors = () =>
    existsSync(onPremState) ? (JSON.parse(readFileSync(onPremState, "utf8")) as { sendConnectors: unknown[] }).sendConnectors : [];
  const inboundConnectors = () => Object.values(server.state().tenants).flatMap((tenant) => tenant?.inboundConnectors ?? []);

  before(async () => {
    workspace = new Workspace();
    onPremState = join(workspace.dir, "onprem.json");
    Object.assign(workspace.env, { MFG_FAKE_EXCHANGE_SHELL_STATE: onPremState });
    server = await startLocalExchangeOnline({ tenants: TENANTS, expectedToken: "the-right-token", log: () => {} });
    project = workspace.project(ROOT, "dist/program/index.js");
    const init = await workspace.pulumi(["stack", "init", stack], project);
    assert.equal(init.code, 0, init.output);
    const configFile = join(project, `Pulumi.${stack}.yaml`);
    writeFileSync(
      configFile,
      `${readFileSync(configFile, "utf8").trimEnd()}\n${stackConfig(server.url).replace(/^(#|encryptionsalt:).*\n/gm, "")}`,
    );
  });
  after(async () => {
    await server?.close();
    workspace?.dispose();
  });

  it("stops every pair before its Send Connector when Exchange Online answers 401, then creates both with the right token", async () => {
    const refused = await workspace.pulumi(["up", "--yes", "--skip-preview", "--stack", stack], project, {
      MAILFLOW_GUARD_EXO_TOKEN: "a-wrong-token",
    });
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(
      refused.output,
      /TenantConnectorPair "hybrid-contoso": Exchange Online was checked before anything is created, and the check failed: Get-AcceptedDomain failed for tenant contoso\.onmicrosoft\.com: 401 Unauthorized: The access token isn't valid for this server\./,
    );
    assert.match(refused.output, /Nothing was created on-premises or in Exchange Online\./);
    assert.doesNotMatch(refused.output, /a-wrong-token/);
    assertNoTrace(refused.output);
    // Issue 18: the failure was printed many times. Once among the diagnostics (the CLI also shows it
    // on the resource's progress line).
    assert.equal(
      countInDiagnostics(refused.output, 'TenantConnectorPair "hybrid-contoso": Exchange Online was checked before anything is created'),
      1,
      `the failure once:\n${refused.output}`,
    );
    assert.deepEqual(sendConnectors(), [], "no Send Connector on-premises");
    assert.deepEqual(inboundConnectors(), [], "no inbound connector in Exchange Online");

    const created = await workspace.pulumi(["up", "--yes", "--skip-preview", "--stack", stack], project, {
      MAILFLOW_GUARD_EXO_TOKEN: "the-right-token",
    });
    assert.equal(created.code, 0, created.output);
    assert.equal(sendConnectors().length, 3);
    assert.equal(inboundConnectors().length, 4);
  });
});
