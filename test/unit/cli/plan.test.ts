import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type CliIo, run } from "../../../cli/main";
import { type MigrationPlan, PlanRefusal, planMigration } from "../../../cli/plan/planner";
import { renderRunbook, renderStackConfig } from "../../../cli/plan/render";
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
      inputs: ["exports"],
    });
    assert.match(runbook, /^\*\*Nothing to change\.\*\* Every tenant already has its own certificate/m);
    assert.match(runbook, /^None: every tenant keeps its dedicated certificate\.$/m);
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
    assert.deepEqual(
      [adatum, litware, contoso, fabrikam].map((t) => [t.send.name, t.send.adopt]),
      [
        ["Outbound to Office 365", true],
        ["Outbound to litware.onmicrosoft.com", false],
        ["Outbound to contoso and fabrikam", true],
        ["Outbound to fabrikam.onmicrosoft.com", false],
      ],
    );
    assert.deepEqual(adatum.send.changes, [
      "AddressSpaces: adatum.mail.onmicrosoft.com, litware.mail.onmicrosoft.com -> adatum.mail.onmicrosoft.com",
      "SmartHosts: adatum.mail.protection.outlook.com, litware.mail.protection.outlook.com -> adatum.mail.protection.outlook.com",
      "TlsCertificateName: (none) -> the new certificate",
    ]);
    assert.deepEqual(adatum.inbound.changes, [
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
      'litware.onmicrosoft.com: its own Send Connector "Outbound to litware.onmicrosoft.com" presents a certificate for "relay.litware.com", an accepted domain of litware.onmicrosoft.com only, which inbound connector "litware-inbound" names → credited: litware.onmicrosoft.com (by certificate domain).',
    );
    const certificatePath = plan.attribution.find((p) => p.sendConnector === "Outbound to contoso and fabrikam");
    assert.deepEqual(certificatePath?.creditedToday, ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
  });

  it("writes the exact certificate request commands and a stack config the root project accepts", () => {
    const plan = planMigration(brownfield(), OPTIONS);
    const runbook = renderRunbook(plan, {
      header: "Generated for a test",
      read: ["exports/contoso.onmicrosoft.com/InboundConnector.json"],
      inputs: ["exports"],
    });
    assert.ok(
      runbook.includes(
        "New-ExchangeCertificate -Server 'EX01' -GenerateRequest -RequestFile 'C:\\mailflow-guard\\relay.fabrikam.com.req' -SubjectName 'CN=relay.fabrikam.com' -DomainName 'relay.fabrikam.com' -FriendlyName 'mailflow-guard fabrikam.onmicrosoft.com' -KeySize 2048 -PrivateKeyExportable $true",
      ),
    );
    assert.ok(runbook.includes("Enable-ExchangeCertificate -Server 'EX02' -Thumbprint $thumbprint -Services SMTP"));
    // fabrikam's connector changes its name and has no IPs to carry mail in between: said where it matters.
    assert.ok(
      runbook.includes(
        "# fabrikam.onmicrosoft.com: \"fabrikam-inbound\" has no sender IPs to accept mail meanwhile; run this right after its Send Connector change in step 3\nConnect-ExchangeOnline -Organization 'fabrikam.onmicrosoft.com'; Set-InboundConnector 'fabrikam-inbound' -TlsSenderCertificateName 'relay.fabrikam.com' -RequireTls $true",
      ),
    );
    // The cutover order: certificates, gate, Send Connectors, certificate names with IPs kept, check, pulumi up.
    const steps = [...runbook.matchAll(/^### (\d+)\. (.*)$/gm)].map((m) => m[2]);
    assert.deepEqual(steps, [
      "Certificates installed and enabled for SMTP",
      "Gate the target before touching anything",
      "Each tenant's own Send Connector presenting its certificate (new ones first, then narrow the shared one)",
      "The inbound connector's TlsSenderCertificateName set while its sender IPs are still there (Exchange Online PowerShell, per tenant)",
      "Check that mail arrives attributed to the right tenant",
      "Apply the target: remove the sender IPs, converge every setting, adopt the connectors",
      "Confirm",
    ]);
    assert.ok(
      runbook.includes(
        [
          "Rollback:",
          "",
          "```powershell",
          "Connect-ExchangeOnline -Organization 'adatum.onmicrosoft.com'; Set-InboundConnector 'adatum-inbound' -SenderIPAddresses '203.0.113.25'",
          "Connect-ExchangeOnline -Organization 'litware.onmicrosoft.com'; Set-InboundConnector 'litware-inbound' -SenderIPAddresses '203.0.113.25'",
          "```",
        ].join("\n"),
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
    assert.deepEqual(parsed.tenants[2]?.adopt, {
      inboundConnector: "fabrikam-inbound",
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

  it("refuses an inventory without the on-premises Send Connectors", () => {
    const fixture = healthy();
    fixture.sendConnectors.length = 0;
    fixture.certificates.length = 0;
    assert.throws(() => planMigration(fixture.parse(), OPTIONS), {
      name: "PlanRefusal",
      message:
        "no on-premises Send Connector to these tenants names a source transport server, so the plan cannot say which servers send with the new certificates. Add the on-premises export: Get-SendConnector | ConvertTo-Json -Depth 5 > _onprem/SendConnector.json (and Get-ExchangeCertificate | ConvertTo-Json -Depth 5 > _onprem/ExchangeCertificate.json).",
    });
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
    assert.equal(
      stdout,
      `Plan for 3 tenants: 7 changes, 2 certificate requests. Written to ${out}: runbook.md, plan.json, Pulumi.cutover.yaml, report.html, project/ (a Pulumi YAML project).\n`,
    );
    const json = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    assert.equal(json.changes, 7);
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
    assert.match(stderr, /^mailflow-guard: cannot plan: no on-premises Send Connector to these tenants names a source transport server/m);
    assert.match(stderr, /No files were written\.\n$/);
    assert.equal(existsSync(join(dir, "plan")), false);
  });

  it("prints its help, and refuses a stack name pulumi would not accept", async () => {
    const help = await cli(["plan", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: mailflow-guard plan \[paths\.\.\.\] \[--live <tenant> \.\.\.\] --output <dir> \[--stack <name>\]$/m);
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
