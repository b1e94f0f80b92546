import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type CliIo, run } from "../../../cli/main";
import { type MigrationPlan, PlanRefusal, planMigration } from "../../../cli/plan/planner";
import { AFTER_FOLDER, EMS, EXO, renderRunbook, renderStackConfig, SH } from "../../../cli/plan/render";
import { exchangeTlsCertificateName, type Inventory, parseInventory } from "../../../policy/src/engine";
import { parseProgramConfig } from "../../../program/config";
import { FIXTURE_NOW, InventoryFixture, testCertificate } from "../../support/inventory";

const OPTIONS = { stack: "migration", exchangeOnlineEndpoint: "https://outlook.office365.com", now: FIXTURE_NOW };

/** The healthy fixture (three tenants, each with its own certificate and Send Connector) with servers named. */
function healthy(): InventoryFixture {
  const fixture = new InventoryFixture();
  for (const send of fixture.sendConnectors) send.sourceTransportServers = ["EX01", "EX02"];
  return fixture;
}

/**
 * The brownfield estate of the issue: adatum and litware share one IP-only setup (one Send Connector
 * to both, the same sender IP on both OnPremises connectors); contoso and fabrikam share a
 * certificate (fabrikam's connector names relay.contoso.com, one Send Connector presents it to both).
 */
function brownfield(): Inventory {
  const contosoCert = testCertificate({ dnsNames: ["relay.contoso.com"], organization: "contoso" }, { name: "contoso-cert" });
  const tenant = (prefix: string) => ({
    name: `${prefix}.onmicrosoft.com`,
    acceptedDomains: [`${prefix}.com`, `relay.${prefix}.com`, `${prefix}.onmicrosoft.com`],
  });
  const inbound = (prefix: string, extra: object) => ({
    ref: { kind: "inboundConnector", name: `${prefix}-inbound` },
    name: `${prefix}-inbound`,
    tenant: `${prefix}.onmicrosoft.com`,
    connectorType: "OnPremises",
    requireTls: true,
    cloudServicesMailEnabled: true,
    ...extra,
  });
  const send = (name: string, prefixes: string[], extra: object) => ({
    ref: { kind: "sendConnector", name },
    name,
    tenants: prefixes.map((p) => `${p}.onmicrosoft.com`),
    addressSpaces: prefixes.map((p) => `${p}.mail.onmicrosoft.com`),
    smartHosts: prefixes.map((p) => `${p}.mail.protection.outlook.com`),
    dnsRoutingEnabled: false,
    requireTls: true,
    tlsAuthLevel: "DomainValidation",
    tlsDomain: "mail.protection.outlook.com",
    cloudServicesMailEnabled: true,
    sourceTransportServers: ["EX01", "EX02"],
    ...extra,
  });
  return parseInventory({
    tenants: ["adatum", "litware", "contoso", "fabrikam"].map(tenant),
    inboundConnectors: [
      inbound("adatum", { senderIPAddresses: ["203.0.113.25"] }),
      inbound("litware", { senderIPAddresses: ["203.0.113.25"] }),
      inbound("contoso", { tlsSenderCertificateName: "relay.contoso.com" }),
      inbound("fabrikam", { tlsSenderCertificateName: "relay.contoso.com" }),
    ],
    sendConnectors: [
      send("Outbound to Office 365", ["adatum", "litware"], {}),
      send("Outbound to contoso and fabrikam", ["contoso", "fabrikam"], {
        tlsCertificateName: exchangeTlsCertificateName(contosoCert as { issuer: string; subject: string }),
        certificateThumbprint: contosoCert.thumbprint,
      }),
    ],
    certificates: [contosoCert],
  });
}

const byTenant = (plan: MigrationPlan, prefix: string) => {
  const found = plan.tenants.find((t) => t.tenant === `${prefix}.onmicrosoft.com`);
  assert.ok(found, `no plan for ${prefix}`);
  return found;
};

describe("mailflow-guard plan: the planner", () => {
  it("plans nothing to change for a healthy organization and adopts every connector as it is", () => {
    const plan = planMigration(healthy().parse(), OPTIONS);
    assert.equal(plan.changes, 0);
    assert.deepEqual(plan.findings, []);
    assert.deepEqual(
      plan.tenants.map((t) => [
        t.tenant,
        t.certificateName,
        t.certificate.kind,
        t.inbound.name,
        t.inbound.changes,
        t.send.name,
        t.send.changes,
      ]),
      [
        ["contoso.onmicrosoft.com", "relay.contoso.com", "keep", "contoso-inbound", [], "contoso-send", []],
        ["fabrikam.onmicrosoft.com", "relay.fabrikam.com", "keep", "fabrikam-inbound", [], "fabrikam-send", []],
        ["tailspin.onmicrosoft.com", "relay.tailspin.com", "keep", "tailspin-inbound", [], "tailspin-send", []],
      ],
    );
    assert.equal(byTenant(plan, "contoso").reason, 'keeps "relay.contoso.com": an accepted domain of contoso.onmicrosoft.com');
    const runbook = renderRunbook(plan, {
      header: "Generated for a test",
      read: ["exports/contoso.onmicrosoft.com/InboundConnector.json"],
    });
    assert.match(runbook, /^\*\*Nothing to change\.\*\* Every tenant already has its own certificate/m);
    // No cutover: the only commands are the optional adoption into the stack.
    assert.doesNotMatch(runbook, /Set-SendConnector|Set-InboundConnector|New-ExchangeCertificate/);
    assert.match(runbook, /^## Optional: manage the connectors with Pulumi$/m);
  });

  it("gives each tenant of a shared IP-only setup and of a shared certificate its own name, certificate and Send Connector", () => {
    const plan = planMigration(brownfield(), OPTIONS);
    assert.deepEqual(
      plan.findings.filter((f) => f.severity === "mandatory").map((f) => f.ruleId),
      [
        "certificate-not-shared-across-tenants",
        "certificate-not-shared-across-tenants",
        "send-connector-per-tenant",
        "send-connector-per-tenant",
        "certificate-name-is-accepted-domain",
        "sender-ip-not-shared",
      ],
    );
    const contoso = byTenant(plan, "contoso");
    const fabrikam = byTenant(plan, "fabrikam");
    const adatum = byTenant(plan, "adatum");
    const litware = byTenant(plan, "litware");
    assert.equal(
      contoso.reason,
      'keeps "relay.contoso.com": an accepted domain of contoso.onmicrosoft.com; fabrikam.onmicrosoft.com, which also names it, gets a name of its own',
    );
    assert.equal(
      fabrikam.reason,
      'proposes "relay.fabrikam.com": the current name "relay.contoso.com" is not an accepted domain of fabrikam.onmicrosoft.com; "relay.fabrikam.com" is an accepted domain of fabrikam.onmicrosoft.com that no other tenant accepts or uses',
    );
    assert.equal(
      adatum.reason,
      'proposes "relay.adatum.com": inbound connector "adatum-inbound" authenticates by IP only; "relay.adatum.com" is an accepted domain of adatum.onmicrosoft.com that no other tenant accepts or uses',
    );
    // The shared certificate also names no one else but it serves two tenants: every tenant gets a new one.
    assert.deepEqual(
      plan.tenants.map((t) => [t.tenant, t.certificate.kind, t.certificate.file, t.certificate.subject]),
      [
        ["adatum.onmicrosoft.com", "request", "certs/adatum.pem", "CN=relay.adatum.com"],
        ["contoso.onmicrosoft.com", "request", "certs/contoso.pem", "CN=relay.contoso.com"],
        ["fabrikam.onmicrosoft.com", "request", "certs/fabrikam.pem", "CN=relay.fabrikam.com"],
        ["litware.onmicrosoft.com", "request", "certs/litware.pem", "CN=relay.litware.com"],
      ],
    );
    // Each shared Send Connector stays with its first tenant; the other tenant gets a new one.
    // ...and, routing to one tenant now, is renamed after it (its old name named both).
    assert.deepEqual(
      [adatum, litware, contoso, fabrikam].map((t) => [t.send.current?.name, t.send.name, t.send.adopt]),
      [
        ["Outbound to Office 365", "Outbound to adatum.onmicrosoft.com", true],
        [undefined, "Outbound to litware.onmicrosoft.com", false],
        ["Outbound to contoso and fabrikam", "Outbound to contoso.onmicrosoft.com", true],
        [undefined, "Outbound to fabrikam.onmicrosoft.com", false],
      ],
    );
    assert.equal(
      contoso.send.nameReason,
      'is renamed "Outbound to contoso.onmicrosoft.com": it routed to contoso.onmicrosoft.com, fabrikam.onmicrosoft.com and now routes to contoso.onmicrosoft.com only',
    );
    assert.deepEqual(adatum.send.changes, [
      "Name: Outbound to Office 365 -> Outbound to adatum.onmicrosoft.com",
      "AddressSpaces: adatum.mail.onmicrosoft.com, litware.mail.onmicrosoft.com -> adatum.mail.onmicrosoft.com",
      "SmartHosts: adatum.mail.protection.outlook.com, litware.mail.protection.outlook.com -> adatum.mail.protection.outlook.com",
      "TlsCertificateName: (none) -> the new certificate",
    ]);
    // An IP connector that now authenticates by certificate gets the component's name for that role.
    assert.equal(
      adatum.inbound.nameReason,
      'is renamed "Inbound from on-premises (relay.adatum.com)": it authenticated by IP and now authenticates by the certificate for relay.adatum.com',
    );
    assert.deepEqual(adatum.inbound.changes, [
      "Name: adatum-inbound -> Inbound from on-premises (relay.adatum.com)",
      "TlsSenderCertificateName: (none) -> relay.adatum.com",
      "SenderIPAddresses: 203.0.113.25 -> (none)",
    ]);
    assert.deepEqual(plan.removeSendConnectors, []);
    // 4 certificates, 3 inbound connectors changed (contoso's keeps its name), 2 Send Connectors narrowed, 2 new.
    assert.deepEqual(contoso.inbound.changes, []);
    assert.equal(plan.changes, 11);
    const shared = plan.attribution.find((p) => p.sendConnector === "Outbound to Office 365");
    assert.deepEqual(shared?.creditedToday, ["adatum.onmicrosoft.com", "litware.onmicrosoft.com"]);
    assert.equal(
      shared?.today[1],
      "2. P1 MAIL FROM: without a certificate domain that identifies one tenant, Exchange Online falls back to the envelope sender's domain (and adatum.onmicrosoft.com's sender IPs are also listed by litware.onmicrosoft.com; litware.onmicrosoft.com's sender IPs are also listed by adatum.onmicrosoft.com, so the connecting IP does not tell the tenants apart).",
    );
    assert.equal(
      shared?.after[1],
      'litware.onmicrosoft.com: its own Send Connector "Outbound to litware.onmicrosoft.com" presents a certificate for "relay.litware.com", an accepted domain of litware.onmicrosoft.com only, which inbound connector "Inbound from on-premises (relay.litware.com)" names → credited: litware.onmicrosoft.com (by certificate domain).',
    );
    const certificatePath = plan.attribution.find((p) => p.sendConnector === "Outbound to contoso and fabrikam");
    assert.deepEqual(certificatePath?.creditedToday, ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
  });

  it("writes a runbook whose every command names its shell, its server and its tenant's own session", () => {
    const plan = planMigration(brownfield(), OPTIONS);
    const runbook = renderRunbook(plan, {
      header: "Generated for a test",
      read: ["exports/contoso.onmicrosoft.com/InboundConnector.json"],
    });
    const blocks = [...runbook.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({
      fence: m[1],
      lines: (m[2] as string).trimEnd().split("\n"),
    }));
    // Every block says which shell runs it, on its first line.
    assert.deepEqual([...new Set(blocks.map((b) => `${b.fence} ${b.lines[0]}`))].sort(), [
      `powershell ${EMS}`,
      `powershell ${EXO}`,
      `sh ${SH}`,
    ]);
    const commands = blocks.flatMap((b) => b.lines.slice(1)).filter((line) => !line.startsWith("#"));
    // Nothing to edit by hand: no placeholder, every certificate value captured in a variable.
    assert.deepEqual(
      commands.filter((line) => /<[a-z][a-z ]+>/.test(line)),
      [],
    );
    // Every Exchange certificate cmdlet names its server.
    assert.deepEqual(
      commands.filter((line) => /\b(New|Import|Enable|Export|Get|Remove)-ExchangeCertificate\b/.test(line) && !/-Server '/.test(line)),
      [],
    );
    // One tenant per Exchange Online session, signed in app-only with a certificate, signed out after.
    for (const block of blocks.filter((b) => b.lines[0] === EXO)) {
      let tenant: string | undefined;
      for (const line of block.lines.slice(1)) {
        const connect =
          /^Connect-ExchangeOnline -Organization '([^']+)' -AppId \$env:MAILFLOW_GUARD_APP_ID -CertificateThumbprint \$env:MAILFLOW_GUARD_APP_CERTIFICATE_THUMBPRINT -ShowBanner:\$false$/.exec(
            line,
          );
        if (connect) {
          assert.equal(tenant, undefined, `a second Connect-ExchangeOnline before Disconnect: ${line}`);
          tenant = connect[1];
        } else if (line === "Disconnect-ExchangeOnline -Confirm:$false") tenant = undefined;
        else assert.ok(tenant, `an Exchange Online command outside a session: ${line}`);
      }
      assert.equal(tenant, undefined, "a session left open");
    }
    assert.ok(
      runbook.includes(
        [
          "New-ExchangeCertificate -Server 'EX01' -GenerateRequest -RequestFile '\\\\EX01\\C$\\mailflow-guard\\relay.fabrikam.com.req' -SubjectName 'CN=relay.fabrikam.com' -DomainName 'relay.fabrikam.com' -FriendlyName 'mailflow-guard fabrikam.onmicrosoft.com' -KeySize 2048 -PrivateKeyExportable $true",
          "New-ExchangeCertificate -Server 'EX01' -GenerateRequest -RequestFile '\\\\EX01\\C$\\mailflow-guard\\relay.litware.com.req' -SubjectName 'CN=relay.litware.com' -DomainName 'relay.litware.com' -FriendlyName 'mailflow-guard litware.onmicrosoft.com' -KeySize 2048 -PrivateKeyExportable $true",
          "# send each .req file to the CA and save the certificate it issues beside it as <name>.cer; then:",
        ].join("\n"),
      ),
    );
    assert.ok(
      runbook.includes(
        [
          "$cert = Import-ExchangeCertificate -Server 'EX01' -FileData ([System.IO.File]::ReadAllBytes('\\\\EX01\\C$\\mailflow-guard\\relay.fabrikam.com.cer'))",
          "Enable-ExchangeCertificate -Server 'EX01' -Thumbprint $cert.Thumbprint -Services SMTP",
          "Export-ExchangeCertificate -Server 'EX01' -Thumbprint $cert.Thumbprint -FileName '\\\\EX01\\C$\\mailflow-guard\\relay.fabrikam.com.pfx' -BinaryEncoded -Password $password",
          "Import-ExchangeCertificate -Server 'EX02' -FileData ([System.IO.File]::ReadAllBytes('\\\\EX01\\C$\\mailflow-guard\\relay.fabrikam.com.pfx')) -Password $password | Out-Null",
          "Enable-ExchangeCertificate -Server 'EX02' -Thumbprint $cert.Thumbprint -Services SMTP",
        ].join("\n"),
      ),
    );
    // The shared connector is narrowed and renamed in one command; its rollback restores both.
    assert.ok(
      runbook.includes(
        "Set-SendConnector -Identity 'Outbound to contoso and fabrikam' -Name 'Outbound to contoso.onmicrosoft.com' -AddressSpaces 'contoso.mail.onmicrosoft.com' -SmartHosts 'contoso.mail.protection.outlook.com' -DNSRoutingEnabled $false -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain 'mail.protection.outlook.com' -TlsCertificateName \"<I>$($cert.Issuer)<S>$($cert.Subject)\" -CloudServicesMailEnabled $true -SourceTransportServers 'EX01','EX02'",
      ),
    );
    assert.ok(
      runbook.includes(
        "Set-SendConnector -Identity 'Outbound to contoso.onmicrosoft.com' -Name 'Outbound to contoso and fabrikam' -AddressSpaces",
      ),
    );
    // fabrikam's connector changes its name and has no IPs to carry mail in between: said where it matters.
    assert.ok(
      runbook.includes(
        [
          'fabrikam.onmicrosoft.com: "fabrikam-inbound" has no sender IPs to accept mail meanwhile, so run this right after its Send Connector change.',
          "",
          "```powershell",
          EXO,
          "Connect-ExchangeOnline -Organization 'fabrikam.onmicrosoft.com' -AppId $env:MAILFLOW_GUARD_APP_ID -CertificateThumbprint $env:MAILFLOW_GUARD_APP_CERTIFICATE_THUMBPRINT -ShowBanner:$false",
          "Set-InboundConnector -Identity 'fabrikam-inbound' -Name 'Inbound from on-premises (relay.fabrikam.com)' -TlsSenderCertificateName 'relay.fabrikam.com' -RequireTls $true",
          "Disconnect-ExchangeOnline -Confirm:$false",
          "```",
        ].join("\n"),
      ),
    );
    // The cutover order: certificates, gate, Send Connectors, certificate names with IPs kept, check, pulumi up, re-export and audit.
    const steps = [...runbook.matchAll(/^### (\d+)\. (.*)$/gm)].map((m) => m[2]);
    assert.deepEqual(steps, [
      "Certificates installed on every sending server and enabled for SMTP",
      "Gate the target before touching a connector",
      "Each tenant's own Send Connector presenting its certificate (new ones first, then the shared one narrowed)",
      "Each inbound connector names its tenant's certificate, while its sender IPs still accept the mail",
      "Check that mail arrives attributed to the right tenant",
      "Apply: the stack removes the sender IPs and adopts the connectors",
      `Export again, into a new folder (${AFTER_FOLDER}), and audit it`,
    ]);
    // The rollback of the applied stack goes through the stack, not around it.
    assert.ok(
      runbook.includes(
        'Rollback: through the stack: in Pulumi.migration.yaml, give the tenant back its sender IPs (adatum.onmicrosoft.com: senderIPAddresses: ["203.0.113.25"]; litware.onmicrosoft.com: senderIPAddresses: ["203.0.113.25"]) and run `pulumi up --policy-pack policy` again.',
      ),
    );
    // The tenant ID to compare the header with, from the tenant's own session.
    assert.ok(runbook.includes("'adatum.onmicrosoft.com: ' + (Get-OrganizationConfig).ExternalDirectoryOrganizationId"));
    assert.match(runbook, /read its header X-MS-Exchange-CrossTenant-Id/);
    // The last command audits the new export, not the folder read before the change.
    assert.ok(runbook.includes(`\`\`\`sh\n${SH}\nmailflow-guard audit ${AFTER_FOLDER}\n\`\`\``));
    assert.ok(
      runbook.includes(`Get-SendConnector | ConvertTo-Json -Depth 5 | Set-Content -Path '${AFTER_FOLDER}\\_onprem\\SendConnector.json'`),
    );
    // Per path, one line: the runbook stays printable; the step-by-step attribution is in plan.json.
    assert.ok(
      runbook.includes(
        '- Send Connector "Outbound to Office 365": today **adatum.onmicrosoft.com, litware.onmicrosoft.com** could be credited (certificate-auth-preferred (advisory), send-connector-per-tenant (mandatory), sender-ip-not-shared (mandatory)); after: adatum.onmicrosoft.com by `relay.adatum.com`; litware.onmicrosoft.com by `relay.litware.com`, each on its own path.',
      ),
    );
    const yaml = renderStackConfig(plan, "test");
    // The root project's own schema reads what plan writes (YAML flow scalars here are JSON).
    const config = Object.fromEntries(
      [...yaml.matchAll(/^ {2}mailflow-guard:(\w+): (.+)$/gm)].map((m) => [m[1] as string, JSON.parse(m[2] as string)]),
    );
    const tenants = [
      ...yaml.matchAll(
        /^ {4}- name: (.+)\n {6}acceptedDomains: (.+)\n {6}certificateName: (.+)\n {6}certificateFile: (.+)\n {6}adopt:\n {8}inboundConnector: (.+)\n {8}sendConnector: (.+)$/gm,
      ),
    ].map((m) => ({
      name: JSON.parse(m[1] as string),
      acceptedDomains: JSON.parse(m[2] as string),
      certificateName: JSON.parse(m[3] as string),
      certificateFile: JSON.parse(m[4] as string),
      adopt: { inboundConnector: JSON.parse(m[5] as string), sendConnector: JSON.parse(m[6] as string) },
    }));
    assert.equal(tenants.length, 4);
    const parsed = parseProgramConfig({ ...config, tenants }, "Pulumi.migration.yaml");
    // The stack adopts the connectors by the names the runbook gives them before `pulumi up`.
    assert.deepEqual(parsed.tenants[2]?.adopt, {
      inboundConnector: "Inbound from on-premises (relay.fabrikam.com)",
      sendConnector: "Outbound to fabrikam.onmicrosoft.com",
    });
  });

  it("refuses a tenant without an accepted domain that could carry a certificate name, saying what to provide", () => {
    const fixture = healthy();
    fixture.tenant("fabrikam").acceptedDomains = ["fabrikam.onmicrosoft.com"];
    fixture.inbound("fabrikam").tlsSenderCertificateName = undefined;
    fixture.inbound("fabrikam").senderIPAddresses = ["198.51.100.7"];
    assert.throws(
      () => planMigration(fixture.parse(), OPTIONS),
      (error: unknown) =>
        error instanceof PlanRefusal &&
        error.message ===
          'tenant "fabrikam.onmicrosoft.com" has no accepted domain that could carry a certificate name (accepted: fabrikam.onmicrosoft.com; the initial .onmicrosoft domain cannot be on a certificate, and a domain another tenant accepts or uses cannot be used). Add a domain you own to this tenant (New-AcceptedDomain, e.g. relay.<your domain>), verify it, export Get-AcceptedDomain again and re-run mailflow-guard plan.',
    );
  });

  it("refuses to plan a target the gate would still block, naming the finding", () => {
    // Two tenants' add-on relays share the vendor's IP: not an on-premises path the plan can move.
    const fixture = healthy();
    for (const prefix of ["contoso", "fabrikam"]) {
      fixture.inboundConnectors.push({
        ...fixture.inbound(prefix),
        ref: { kind: "inboundConnector", name: `${prefix}-vendor` },
        name: `${prefix}-vendor`,
        tlsSenderCertificateName: undefined,
        senderIPAddresses: ["198.51.100.10"],
        addOnService: "Vendor",
      });
    }
    assert.throws(() => planMigration(fixture.parse(), OPTIONS), {
      name: "PlanRefusal",
      message:
        "the target this input leads to would still be blocked by the gate:\n" +
        `  - [sender-ip-not-shared] 'SenderIPAddresses' entry "198.51.100.10" of inbound connector "contoso-vendor" (tenant "contoso.onmicrosoft.com") overlaps "198.51.100.10" of inbound connector "fabrikam-vendor" (tenant "fabrikam.onmicrosoft.com") (overlap: 198.51.100.10). Exchange Online cannot tell these senders' mail apart by IP.\n` +
        "Resolve these in the input (accepted domains, connectors) and run plan again.",
    });
  });

  it("refuses an Exchange-Online-only inventory without --source-server, naming the option", () => {
    const fixture = healthy();
    fixture.sendConnectors.length = 0;
    fixture.certificates.length = 0;
    assert.throws(() => planMigration(fixture.parse(), OPTIONS), {
      name: "PlanRefusal",
      message:
        "no on-premises Send Connector to these tenants names a source transport server, so the plan cannot say which servers send with the new certificates. Name them with --source-server (e.g. --source-server EX01 --source-server EX02), or add the on-premises export: Get-SendConnector | ConvertTo-Json -Depth 5 > _onprem/SendConnector.json (and Get-ExchangeCertificate | ConvertTo-Json -Depth 5 > _onprem/ExchangeCertificate.json).",
    });
  });

  it("says so when it plans without the certificate export, and requests a certificate per tenant", () => {
    const fixture = healthy();
    fixture.certificates.length = 0;
    const plan = planMigration(fixture.parse(), OPTIONS);
    assert.deepEqual(plan.assumptions, [
      "no Get-ExchangeCertificate export was read, so no certificate in use is known to be a tenant's own: each tenant gets a certificate request",
    ]);
    assert.deepEqual(
      plan.tenants.map((t) => t.certificate.kind),
      ["request", "request", "request"],
    );
  });

  it("plans an Exchange-Online-only inventory with the servers named, saying what it assumed", () => {
    const fixture = healthy();
    fixture.sendConnectors.length = 0;
    fixture.certificates.length = 0;
    const plan = planMigration(fixture.parse(), { ...OPTIONS, sourceTransportServers: ["EX01", "EX02"] });
    assert.deepEqual(plan.sourceTransportServers, ["EX01", "EX02"]);
    assert.deepEqual(plan.assumptions, [
      "the source transport servers are EX01, EX02 (--source-server), and every one of them sends to every tenant",
      "no Send Connector routes to these tenants yet, so each tenant gets a new one; if one does, export Get-SendConnector and plan again, or it keeps sending as it does today",
      "no certificate for these tenants is installed on-premises, so each tenant gets a certificate request",
    ]);
    // The inbound connectors' names are healthy and kept; each tenant gets a certificate and a Send Connector.
    assert.deepEqual(
      plan.tenants.map((t) => [t.certificateName, t.certificate.kind, t.inbound.changes, t.send.name, t.target.sourceTransportServers]),
      [
        ["relay.contoso.com", "request", [], "Outbound to contoso.onmicrosoft.com", ["EX01", "EX02"]],
        ["relay.fabrikam.com", "request", [], "Outbound to fabrikam.onmicrosoft.com", ["EX01", "EX02"]],
        ["relay.tailspin.com", "request", [], "Outbound to tailspin.onmicrosoft.com", ["EX01", "EX02"]],
      ],
    );
    assert.equal(plan.changes, 6);
    const runbook = renderRunbook(plan, { header: "Generated for a test", read: ["exports"] });
    assert.ok(
      runbook.includes(
        "**Assumed** (not in what was read):\n\n- the source transport servers are EX01, EX02 (--source-server), and every one of them sends to every tenant.\n",
      ),
    );
    assert.ok(
      runbook.includes(
        "New-SendConnector -Name 'Outbound to contoso.onmicrosoft.com' -Usage Custom -AddressSpaces 'contoso.mail.onmicrosoft.com'",
      ),
    );
  });

  /**
   * What the Hybrid Configuration Wizard builds for one tenant. Names and settings: the cmdlets HCW runs,
   * from its verbose log (C:\Program Files\Microsoft\Exchange Server\V15\Logging\Update-HybridConfiguration;
   * extracted in https://blogs.perficient.com/2015/03/25/office-365-the-magic-behind-the-hybrid-config-wizard-2013/
   * and in a published table "Cmdlets run by the Hybrid Configuration Wizard", whose New/Set-SendConnector
   * runs with -DNSRoutingEnabled $true -SmartHosts $null, hence the DNS-routing case); hybrid health scripts
   * recognise HCW's connector by the name pattern "Outbound to Office 365 - <guid>". The smart host named
   * after the domain key (contoso-com.mail.protection.outlook.com), where the admin routes by smart host,
   * is the tenant's MX host per https://learn.microsoft.com/exchange/hybrid-deployment/hybrid-configuration-wizard
   * and the engine's cloud table (mailHostKey):
   * Send Connector "Outbound to Office 365 - <guid>" (AddressSpaces smtp:<tenant>.mail.onmicrosoft.com;1,
   * RequireTLS, TLSAuthLevel DomainValidation, TLSDomain mail.protection.outlook.com,
   * CloudServicesMailEnabled, TLSCertificateName <I>issuer<S>subject), inbound connector
   * "Inbound from <guid>" (OnPremises, RequireTls, SenderDomains *, TlsSenderCertificateName, CloudServicesMailEnabled).
   */
  function hcw(routing: { smartHosts: string[]; dnsRoutingEnabled: boolean }): Inventory {
    const certificate = testCertificate({ dnsNames: ["mail.contoso.com"], organization: "Contoso" }, { name: "mail.contoso.com" });
    return parseInventory({
      tenants: [{ name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "mail.contoso.com", "contoso.onmicrosoft.com"] }],
      inboundConnectors: [
        {
          ref: { kind: "inboundConnector", name: "Inbound from 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76" },
          name: "Inbound from 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76",
          tenant: "contoso.onmicrosoft.com",
          connectorType: "OnPremises",
          senderDomains: ["smtp:*;1"],
          tlsSenderCertificateName: "mail.contoso.com",
          requireTls: true,
          cloudServicesMailEnabled: true,
        },
      ],
      sendConnectors: [
        {
          ref: { kind: "sendConnector", name: "Outbound to Office 365 - 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76" },
          name: "Outbound to Office 365 - 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76",
          tenants: ["contoso.onmicrosoft.com"],
          addressSpaces: ["smtp:contoso.mail.onmicrosoft.com;1"],
          ...routing,
          requireTls: true,
          tlsAuthLevel: "DomainValidation",
          tlsDomain: "mail.protection.outlook.com",
          tlsCertificateName: exchangeTlsCertificateName(certificate as { issuer: string; subject: string }),
          certificateThumbprint: certificate.thumbprint,
          cloudServicesMailEnabled: true,
          fqdn: "mail.contoso.com",
          sourceTransportServers: ["EXC01"],
        },
      ],
      certificates: [certificate],
    });
  }

  for (const [what, routing] of [
    ["a smart host named after the domain key", { smartHosts: ["contoso-com.mail.protection.outlook.com"], dnsRoutingEnabled: false }],
    ["DNS routing (HCW's default, no smart host)", { smartHosts: [], dnsRoutingEnabled: true }],
  ] as const) {
    it(`leaves a healthy HCW organization alone: ${what}`, () => {
      const inventory = hcw({ smartHosts: [...routing.smartHosts], dnsRoutingEnabled: routing.dnsRoutingEnabled });
      const plan = planMigration(inventory, OPTIONS);
      assert.deepEqual(plan.findings, []);
      assert.equal(plan.changes, 0);
      const [contoso] = plan.tenants;
      assert.deepEqual(
        [contoso?.inbound.name, contoso?.inbound.changes, contoso?.send.name, contoso?.send.changes, contoso?.certificate.kind],
        [
          "Inbound from 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76",
          [],
          "Outbound to Office 365 - 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76",
          [],
          "keep",
        ],
      );
      assert.deepEqual(contoso?.target.smartHosts, routing.smartHosts);
      const runbook = renderRunbook(plan, { header: "Generated for a test", read: ["exports"] });
      assert.match(runbook, /^\*\*Nothing to change\.\*\*/m);
      // Adopting into the root project is optional, and what its defaults would change is said.
      assert.ok(
        runbook.includes(
          routing.dnsRoutingEnabled
            ? '- contoso.onmicrosoft.com, Send Connector "Outbound to Office 365 - 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76": DNS routing (the component sets SmartHosts contoso.mail.protection.outlook.com).'
            : '- contoso.onmicrosoft.com, Send Connector "Outbound to Office 365 - 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76": SmartHosts contoso-com.mail.protection.outlook.com (the component sets contoso.mail.protection.outlook.com).',
        ),
      );
    });
  }

  it("keeps HCW's connector names when their role changes, and says why", () => {
    const inventory = hcw({ smartHosts: ["contoso-com.mail.protection.outlook.com"], dnsRoutingEnabled: false });
    const [fabrikam] = brownfield().tenants.filter((t) => t.name === "fabrikam.onmicrosoft.com");
    const plan = planMigration(
      parseInventory({
        ...inventory,
        tenants: [...inventory.tenants, fabrikam],
        sendConnectors: inventory.sendConnectors.map((c) => ({
          ...c,
          tenants: ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"],
          addressSpaces: [...c.addressSpaces, "fabrikam.mail.onmicrosoft.com"],
        })),
      }),
      OPTIONS,
    );
    const contoso = byTenant(plan, "contoso");
    assert.equal(contoso.send.name, "Outbound to Office 365 - 6fc3a33e-3ca2-4528-8e3c-75e5d4e9db76");
    assert.equal(
      contoso.send.nameReason,
      "keeps its name although it routed to contoso.onmicrosoft.com, fabrikam.onmicrosoft.com and now routes to contoso.onmicrosoft.com only: the Hybrid Configuration Wizard finds its connectors by this name, so its next run would create another one",
    );
    // The domain-key smart host and HCW's address space stay; only fabrikam's parts go.
    assert.deepEqual(
      contoso.send.changes.filter((c) => c.startsWith("AddressSpaces") || c.startsWith("SmartHosts")),
      ["AddressSpaces: smtp:contoso.mail.onmicrosoft.com;1, fabrikam.mail.onmicrosoft.com -> smtp:contoso.mail.onmicrosoft.com;1"],
    );
  });
});

describe("mailflow-guard plan: the command", () => {
  const FIXTURES = join(__dirname, "..", "..", "..", "..", "test", "fixtures", "audit");
  async function cli(argv: string[], cwd = FIXTURES) {
    let stdout = "";
    let stderr = "";
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env: {}, stderrIsTty: false };
    const code = await run(argv, io);
    return { code, stdout, stderr };
  }

  it("writes runbook.md, plan.json and Pulumi.<stack>.yaml and exits 0", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "mfg-plan-")), "plan");
    const { code, stdout, stderr } = await cli(["plan", "brownfield", "--now", "2026-06-01", "--output", out, "--stack", "cutover"]);
    assert.equal(code, 0, stderr);
    // fabrikam's HCW connector with its domain-key smart host (fabrikam-com.mail.protection.outlook.com) is healthy and left alone.
    assert.equal(
      stdout,
      `Plan for 3 tenants: 6 changes, 2 certificate requests. Written to ${out}: runbook.md, plan.json, Pulumi.cutover.yaml, report.html, project/ (a Pulumi YAML project).\n`,
    );
    const json = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    assert.equal(json.changes, 6);
    const fabrikam = json.tenants.find((t: { tenant: string }) => t.tenant === "fabrikam.onmicrosoft.com");
    assert.deepEqual(fabrikam.sendConnector.changes, []);
    assert.deepEqual(fabrikam.sendConnector.target.smartHosts, ["fabrikam-com.mail.protection.outlook.com"]);
    assert.equal(json.stack, "cutover");
    assert.ok(existsSync(join(out, "runbook.md")));
    assert.match(readFileSync(join(out, "Pulumi.cutover.yaml"), "utf8"), /^ {6}certificateName: "relay\.fabrikam\.com"$/m);
  });

  it("writes the admin endpoint of the tenants' cloud, and refuses tenants of another cloud than --cloud", async () => {
    const worldwide = join(mkdtempSync(join(tmpdir(), "mfg-plan-")), "plan");
    assert.equal((await cli(["plan", "brownfield", "--now", "2026-06-01", "--output", worldwide])).code, 0);
    const config = readFileSync(join(worldwide, "Pulumi.migration.yaml"), "utf8");
    assert.match(config, /^ {2}mailflow-guard:exchangeOnlineEndpoint: "https:\/\/outlook\.office365\.com"$/m);
    assert.doesNotMatch(config, /mailflow-guard:cloud:/);
    const gcchigh = join(mkdtempSync(join(tmpdir(), "mfg-plan-")), "plan");
    const refused = await cli(["plan", "brownfield", "--now", "2026-06-01", "--cloud", "O365USGovGCCHigh", "--output", gcchigh]);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      'mailflow-guard: cannot plan: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com", "northwind.onmicrosoft.com" are not tenants of O365USGovGCCHigh. Plan each cloud\'s tenants separately, with the --cloud they belong to (O365Default, O365USGovGCCHigh, O365USGovDoD, O365China).\nNo files were written.\n',
    );
    assert.equal(existsSync(gcchigh), false);
  });

  it("exits 2 and writes nothing when the input cannot support a plan", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mfg-plan-"));
    const tenantDir = join(dir, "exports", "adatum.onmicrosoft.com");
    mkdirSync(tenantDir, { recursive: true });
    writeFileSync(join(tenantDir, "AcceptedDomain.json"), JSON.stringify([{ DomainName: "adatum.onmicrosoft.com", InitialDomain: true }]));
    writeFileSync(
      join(tenantDir, "InboundConnector.json"),
      JSON.stringify([{ Name: "From EX", ConnectorType: "OnPremises", SenderIPAddresses: ["203.0.113.9"], Enabled: true }]),
    );
    const { code, stderr } = await cli(["plan", "exports", "--output", "plan"], dir);
    assert.equal(code, 2);
    assert.match(
      stderr,
      /^mailflow-guard: cannot plan: no on-premises Send Connector to these tenants names a source transport server, so the plan cannot say which servers send with the new certificates\. Name them with --source-server \(e\.g\. --source-server EX01 --source-server EX02\)/m,
    );
    assert.match(stderr, /No files were written\.\n$/);
    assert.equal(existsSync(join(dir, "plan")), false);
  });

  it("plans from the Exchange Online export alone with --source-server, and refuses a server name Exchange would not take", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mfg-plan-"));
    const tenantDir = join(dir, "exports", "adatum.onmicrosoft.com");
    mkdirSync(tenantDir, { recursive: true });
    writeFileSync(
      join(tenantDir, "AcceptedDomain.json"),
      JSON.stringify([
        { DomainName: "adatum.onmicrosoft.com", InitialDomain: true },
        { DomainName: "relay.adatum.com", DomainType: "Authoritative" },
      ]),
    );
    writeFileSync(
      join(tenantDir, "InboundConnector.json"),
      JSON.stringify([
        { Name: "From EX", ConnectorType: "OnPremises", SenderIPAddresses: ["203.0.113.9"], Enabled: true, RequireTls: true },
      ]),
    );
    const { code, stdout, stderr } = await cli(
      ["plan", "exports", "--output", "plan", "--source-server", "EX01", "--source-server", "EX02", "--now", "2026-06-01"],
      dir,
    );
    assert.equal(code, 0, stderr);
    assert.equal(
      stdout,
      "Plan for 1 tenants: 3 changes, 1 certificate request. Written to plan: runbook.md, plan.json, Pulumi.migration.yaml, report.html, project/ (a Pulumi YAML project).\n",
    );
    const json = JSON.parse(readFileSync(join(dir, "plan", "plan.json"), "utf8"));
    assert.deepEqual(json.sourceTransportServers, ["EX01", "EX02"]);
    assert.equal(json.assumptions.length, 3);
    assert.match(readFileSync(join(dir, "plan", "runbook.md"), "utf8"), /^\*\*Assumed\*\* \(not in what was read\):$/m);
    const bad = await cli(["plan", "exports", "--output", "plan2", "--source-server", "EX 01"], dir);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'mailflow-guard: error: \'--source-server\' "EX 01" is not a server name. Use letters, digits and hyphens in dot-separated labels, such as EX01 or ex01.contoso.com.\nSee "mailflow-guard plan --help".\n',
    );
    assert.equal(existsSync(join(dir, "plan2")), false);
  });

  it("prints its help, and refuses a stack name pulumi would not accept", async () => {
    const help = await cli(["plan", "--help"]);
    assert.equal(help.code, 0);
    assert.match(
      help.stdout,
      /^Usage: mailflow-guard plan \[paths\.\.\.\] \[--live <tenant> \.\.\.\] --output <dir> \[--stack <name>\] \[--source-server <name> \.\.\.\]$/m,
    );
    const bad = await cli(["plan", "brownfield", "--output", "x", "--stack", "my stack"]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'mailflow-guard: error: --stack "my stack" is not a stack name. Use letters, digits, "-", "_" and "." only, e.g. migration\nSee "mailflow-guard plan --help".\n',
    );
  });

  it("exits 2 without --output and when an input cannot be read", async () => {
    assert.deepEqual((await cli(["plan", "brownfield"])).code, 2);
    assert.match((await cli(["plan", "brownfield"])).stderr, /--output <dir> is required/);
    const out = join(mkdtempSync(join(tmpdir(), "mfg-plan-")), "plan");
    const missing = await cli(["plan", "no-such-folder", "--output", out]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no-such-folder: no such file or folder/);
    assert.equal(existsSync(out), false);
  });
});
