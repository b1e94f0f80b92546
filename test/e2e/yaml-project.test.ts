import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NOT_REGISTERED } from "../../components/args";
import { blockedExitCode, packRan, policyLine, policyPackAt, policySection, ROOT, Workspace } from "./harness";
import { installPolicyPack, invokeCmdlet, npm, packTarballs, PLUGIN_REFERENCE, type StandIn, startStandIn } from "../support/packed";

/**
 * mailflow-guard from Pulumi YAML, as an Exchange admin who writes no TypeScript gets it: the
 * packed package installed with npm into a folder outside the checkout, a `runtime: yaml` program
 * declaring the components by type token (the plugin constructs them), gated by the installed
 * pack, applied against the stand-ins, refreshed, a connector made outside Pulumi imported, and
 * destroyed. The real Pulumi YAML language host runs the program.
 */
const TOKEN = "yaml-project-token-5e81";
const TENANTS = {
  "contoso.onmicrosoft.com": { acceptedDomains: ["contoso.com", "relay.contoso.com"] },
  "fabrikam.onmicrosoft.com": { acceptedDomains: ["fabrikam.com", "relay.fabrikam.com"] },
};

/** The admin's program: a TenantConnectorPair per tenant, with the same input names as in TypeScript. */
function program(certificates: { contoso: string; fabrikam: string }, extra = ""): string {
  const pair = (short: string, pem: string) => `  ${short}:
    type: mailflow:exchange:TenantConnectorPair
    properties:
      tenant:
        name: ${short}.onmicrosoft.com
        acceptedDomains: [${short}.com, relay.${short}.com]
      certificate:
        pem:
          fn::readFile: ./certs/${pem}
      certificateName: relay.${short}.com
      sendConnector:
        sourceTransportServers: [EX01]
      exchangeOnline:
        endpoint: \${mailflow:endpoint}
        token: \${mailflow:token}
      onPremises:
        shell: [node_modules/.bin/mailflow-guard-exchange-shell-stand-in]
`;
  return `name: mail-yaml
runtime: yaml
description: Two tenants, a certificate and a Send Connector each
${PLUGIN_REFERENCE}resources:
${pair("contoso", certificates.contoso)}${pair("fabrikam", certificates.fabrikam)}${extra}outputs:
  contosoThumbprint: \${contoso.certificateThumbprint}
  fabrikamInbound: \${fabrikam.inboundConnectorIdentity}
`;
}
const CLEAN = { contoso: "contoso-relay.pem", fabrikam: "fabrikam-relay.pem" };

// A Partner connector someone made by hand in the Exchange admin center, and the same connector
// as the admin declares it after `pulumi import`.
const PARTNER = {
  Name: "From partner northwind",
  ConnectorType: "Partner",
  SenderDomains: ["northwind.example"],
  RequireTls: true,
  TlsSenderCertificateName: "mail.northwind.example",
  RestrictDomainsToCertificate: true,
};
const PARTNER_DECLARED = `  partner:
    type: mailflow:exchange:InboundConnector
    properties:
      tenant: contoso.onmicrosoft.com
      acceptedDomains: [contoso.com, relay.contoso.com]
      name: From partner northwind
      connectorType: Partner
      senderDomains: [northwind.example]
      requireTls: true
      tlsSenderCertificateName: mail.northwind.example
      restrictDomainsToCertificate: true
      connection:
        endpoint: \${mailflow:endpoint}
        token: \${mailflow:token}
`;

describe("Pulumi YAML: the packed package in a fresh project outside the checkout", () => {
  const workspace = new Workspace();
  const project = join(workspace.dir, "home-of-bob", "mail-yaml");
  const onPremState = join(workspace.dir, "onprem.json");
  const exoState = join(workspace.dir, "exo.json");
  let standIn: StandIn | undefined;
  let installedPack = "";
  const run = (args: string[]) => workspace.pulumi([...args, "--stack", "dev"], project);
  const gated = (args: string[]) =>
    workspace.pulumi(
      [...args, "--stack", "dev", "--policy-pack", policyPackAt(installedPack).arg],
      project,
      policyPackAt(installedPack).env,
    );
  const exo = () =>
    JSON.parse(readFileSync(exoState, "utf8")) as { tenants: Record<string, { inboundConnectors: { Name: string; Comment?: string }[] }> };
  const onPrem = () => JSON.parse(readFileSync(onPremState, "utf8")) as { sendConnectors: { Name: string }[] };

  before(async () => {
    const tarballs = packTarballs(ROOT, join(workspace.dir, "tarballs"));
    mkdirSync(join(project, "certs"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "mail-yaml", private: true }, null, 2));
    writeFileSync(join(project, "Pulumi.yaml"), program(CLEAN));
    for (const cert of ["contoso-relay.pem", "fabrikam-relay.pem", "contoso-fabrikam-san.pem"])
      cpSync(join(ROOT, "examples", "certs", cert), join(project, "certs", cert));
    // No TypeScript anywhere: npm brings the package, its plugin and the SDK the plugin runs on.
    npm(["install", tarballs.library], project);
    installedPack = installPolicyPack(tarballs.policy, join(workspace.dir, "tools", "policy-pack"));
    standIn = await startStandIn(project, exoState, TENANTS, TOKEN);
    Object.assign(workspace.env, { MFG_FAKE_EXCHANGE_SHELL_STATE: onPremState, MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES: "certs" });
    await workspace.mustRun(["stack", "init", "dev"], project);
    await workspace.mustRun(["config", "--stack", "dev", "set", "mailflow:endpoint", standIn.url], project);
    await workspace.mustRun(["config", "--stack", "dev", "set", "--secret", "mailflow:token", TOKEN], project);
  });
  after(async () => {
    await standIn?.stop();
    workspace.dispose();
  });

  it("is gated by the installed pack: two tenants sharing one certificate are blocked, the clean program passes", async () => {
    writeFileSync(join(project, "Pulumi.yaml"), program({ contoso: "contoso-fabrikam-san.pem", fabrikam: "contoso-fabrikam-san.pem" }));
    const blocked = await gated(["preview"]);
    assert.equal(blocked.code, blockedExitCode(), blocked.output);
    const policies = policySection(blocked.output);
    assert.match(policies, policyLine("mandatory", "certificate-not-shared-across-tenants"), blocked.output);
    assert.match(policies, /is used for 2 tenants: "contoso\.onmicrosoft\.com", "fabrikam\.onmicrosoft\.com"/, blocked.output);
    assert.match(policies, /mailflow:exchange:InboundConnector: fabrikam-inbound/, blocked.output);

    writeFileSync(join(project, "Pulumi.yaml"), program(CLEAN));
    const clean = await gated(["preview"]);
    assert.equal(clean.code, 0, clean.output);
    assert.doesNotMatch(policySection(clean.output), /\[mandatory\]|\[advisory\]/);
    assert.match(clean.output, /\+ 7 to create/);
  });

  it("refuses at preview what the component refuses in TypeScript, with the same message", async () => {
    writeFileSync(
      join(project, "Pulumi.yaml"),
      program(CLEAN).replace("certificateName: relay.fabrikam.com", "certificateName: relay.fabrikam.net"),
    );
    const refused = await gated(["preview"]);
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(refused.output, /TenantConnectorPair "fabrikam"/, refused.output);
    assert.match(refused.output, /relay\.fabrikam\.net/, refused.output);
    // Issue 18: the pack never saw the refused connectors and shows ✅; the refusal says so.
    assert.match(refused.output, packRan(true), refused.output);
    assert.ok(refused.output.includes(NOT_REGISTERED), refused.output);
    assert.doesNotMatch(refused.output, /\n\s+at .*\.js:\d+/, "a stack trace reached the user");
    writeFileSync(join(project, "Pulumi.yaml"), program(CLEAN));
  });

  it("creates both tenants' connectors with `pulumi up`, the token never in state in plain text", async () => {
    const up = await gated(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /\+ 7 created/);
    assert.equal(up.output.includes(TOKEN), false, "the token is in the output");
    assert.deepEqual(
      Object.entries(exo().tenants).map(([tenant, t]) => [tenant, t.inboundConnectors.map((c) => c.Name)]),
      [
        ["contoso.onmicrosoft.com", ["Inbound from on-premises (relay.contoso.com)"]],
        ["fabrikam.onmicrosoft.com", ["Inbound from on-premises (relay.fabrikam.com)"]],
      ],
    );
    assert.deepEqual(
      onPrem()
        .sendConnectors.map((c) => c.Name)
        .sort(),
      ["Outbound to contoso.onmicrosoft.com", "Outbound to fabrikam.onmicrosoft.com"],
    );
    const state = (await workspace.mustRun(["stack", "export", "--stack", "dev"], project)).stdout;
    assert.equal(state.includes(TOKEN), false, "the token is in the state in plain text");
    assert.equal(state.includes("__provider"), false, "the state holds provider code");
    assert.doesNotMatch(state, /\/(root|home|tmp|work)\//, "the state names a folder of this machine");
    const outputs = (await workspace.mustRun(["stack", "output", "--stack", "dev", "--json"], project)).stdout;
    assert.equal(JSON.parse(outputs).fabrikamInbound, "Inbound from on-premises (relay.fabrikam.com)");
  });

  it("refreshes with nothing to change", async () => {
    const refresh = await run(["refresh", "--yes", "--skip-preview"]);
    assert.equal(refresh.code, 0, refresh.output);
    assert.match(refresh.output, /7 unchanged/);
  });

  it("imports a connector made outside Pulumi, and the program that declares it previews with no change", async () => {
    await invokeCmdlet(standIn?.url as string, "contoso.onmicrosoft.com", TOKEN, "New-InboundConnector", PARTNER);
    const imported = await run([
      "import",
      "mailflow:exchange:InboundConnector",
      "partner",
      "contoso.onmicrosoft.com/From partner northwind",
      "--generate-code=false",
      "--protect=false",
      "--yes",
    ]);
    assert.equal(imported.code, 0, imported.output);
    assert.match(imported.output, /= +mailflow:exchange:InboundConnector +partner +imported/, imported.output);
    assert.match(imported.output, /= 1 imported/);

    writeFileSync(join(project, "Pulumi.yaml"), program(CLEAN, PARTNER_DECLARED));
    const preview = await gated(["preview", "--diff"]);
    assert.equal(preview.code, 0, preview.output);
    assert.match(preview.output, /Resources:\n\s+8 unchanged\n/, preview.output);
    assert.doesNotMatch(preview.output, /to update|to create|to replace|to delete/);
  });

  it("destroys everything it manages, the imported connector too", async () => {
    const destroy = await run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(destroy.code, 0, destroy.output);
    assert.match(destroy.output, /- 8 deleted/);
    for (const tenant of Object.values(exo().tenants)) assert.deepEqual(tenant.inboundConnectors, []);
    assert.deepEqual(onPrem().sendConnectors, []);
  });
});
