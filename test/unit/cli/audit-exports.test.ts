import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type * as Sarif from "sarif";
import { Collection, readPath } from "../../../cli/collect";
import { type CliIo, run } from "../../../cli/main";
import { planMigration } from "../../../cli/plan/planner";
import { evaluate } from "../../../policy/src/engine";
import { InventoryFixture } from "../../support/inventory";

// Fixtures live in the source tree; tests run from dist/test/unit/cli.
const FIXTURES = join(__dirname, "..", "..", "..", "..", "test", "fixtures");

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: FIXTURES, env: {}, stderrIsTty: false };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

describe("audit of Export-Clixml on-premises files beside ConvertTo-Json and CliXml tenant folders", () => {
  it("finds the tenant without its own Send Connector (exit 1)", async () => {
    const { code, stdout } = await cli(["audit", "clixml/mixed", "--now", "2027-01-01"]);
    assert.equal(code, 1);
    assert.match(stdout, /^fabrikam\.onmicrosoft\.com {2}\(1 mandatory, 2 advisory\)$/m);
    assert.ok(
      stdout.includes(
        '  MANDATORY  send-connector-per-tenant  inbound connector "Inbound from fabrikam on-premises"\n' +
          "    in:  clixml/mixed/fabrikam.onmicrosoft.com/InboundConnector.xml\n" +
          '    Tenant "fabrikam.onmicrosoft.com" has OnPremises inbound connector "Inbound from fabrikam on-premises" but no Send Connector routes to it.\n',
      ),
      stdout,
    );
  });

  it("counts what the files hold: three certificates, two of them on no tenant's path", async () => {
    const { stdout } = await cli(["audit", "clixml/mixed", "--now", "2027-01-01"]);
    assert.match(
      stdout,
      /^Read 6 files, 2 tenants, 4 inbound connectors, 1 send connector, 3 certificates \(2 not presented by any send connector\); findings: 1 mandatory, 3 advisory; skipped on purpose: 1 send connector\.$/m,
    );
  });

  it("marks the disabled connector in every finding about it, as advisory, and says what re-enabling it would break", async () => {
    const { stdout } = await cli(["audit", "clixml/mixed", "--now", "2027-01-01", "--format", "json"]);
    const findings = JSON.parse(stdout).findings as { ruleId: string; severity: string; message: string }[];
    const aboutDisabled = findings.filter((f) => f.message.includes('"Old relay by IP"'));
    assert.equal(aboutDisabled.length, 2);
    for (const finding of aboutDisabled) {
      assert.equal(finding.severity, "advisory", finding.message);
      assert.ok(finding.message.includes('"Old relay by IP" (disabled)'), finding.message);
    }
    assert.equal(
      findings.find((f) => f.ruleId === "sender-ip-not-shared")?.message,
      `'SenderIPAddresses' entry "198.51.100.25" of inbound connector "Scanner relay by IP" (tenant "contoso.onmicrosoft.com") overlaps "198.51.100.25" of inbound connector "Old relay by IP" (disabled) (tenant "fabrikam.onmicrosoft.com") (overlap: 198.51.100.25). Exchange Online cannot tell these senders' mail apart by IP. Exchange Online does not use a disabled connector for attribution, so nothing breaks today; re-enabling "Old relay by IP" (tenant "fabrikam.onmicrosoft.com") would break attribution for the active inbound connector "Scanner relay by IP" (tenant "contoso.onmicrosoft.com"): this conflict would then apply to its mail.`,
    );
    const text = (await cli(["audit", "clixml/mixed", "--now", "2027-01-01"])).stdout;
    assert.match(text, /^ {2}ADVISORY {3}certificate-auth-preferred {2}inbound connector "Old relay by IP" \(disabled\)$/m);
  });
});

describe("engine: disabled connectors", () => {
  it("a disabled connector alone is advisory and says so; enabled again, the same finding is mandatory", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").tlsSenderCertificateName = "relay.unaccepted.example";
    const enabled = fixture.findings("certificate-name-is-accepted-domain");
    assert.equal(enabled[0]?.severity, "mandatory");
    fixture.inbound("contoso").enabled = false;
    const disabled = fixture.findings("certificate-name-is-accepted-domain");
    assert.equal(disabled[0]?.severity, "advisory");
    assert.equal(
      disabled[0]?.message,
      `Inbound connector "contoso-inbound" (disabled): 'TlsSenderCertificateName' "relay.unaccepted.example" is not an accepted domain of tenant "contoso.onmicrosoft.com" (accepted: contoso.com, contoso.onmicrosoft.com, relay.contoso.com). The connector is disabled (Enabled: false): Exchange Online does not use it for attribution, so this is advisory until it is enabled again.`,
    );
  });
});

describe("engine: disabled send connectors", () => {
  it("a finding about a disabled Send Connector is advisory and marks it", () => {
    const fixture = new InventoryFixture();
    fixture.send("contoso").requireTls = false;
    const active = fixture.findings("send-connector-tls").filter((f) => f.message.includes('"contoso-send"'));
    assert.ok(active.length > 0 && active.every((f) => f.severity === "mandatory"));
    fixture.send("contoso").enabled = false;
    const disabled = fixture.findings("send-connector-tls").filter((f) => f.message.includes('"contoso-send"'));
    assert.equal(disabled.length, active.length);
    for (const finding of disabled) {
      assert.equal(finding.severity, "advisory");
      assert.ok(finding.message.includes('"contoso-send" (disabled)'), finding.message);
      assert.ok(finding.message.endsWith("so this is advisory until it is enabled again."), finding.message);
    }
  });

  it("reads Enabled from Get-SendConnector", () => {
    const collection = new Collection();
    readPath(join(FIXTURES, "clixml", "mixed", "_onprem"), FIXTURES, collection);
    assert.deepEqual(
      collection.sendConnectors.map((c) => [c.name, c.enabled]),
      [
        ["Outbound to Office 365 - contoso", true],
        ["Internet", true],
      ],
    );
  });
});

describe("ScubaGear ProviderSettingsExport.json with an on-premises folder beside it", () => {
  it("reads each tenant's Exchange Online side from ScubaGear and lists a shared IP under both tenants", async () => {
    const { code, stdout } = await cli(["audit", "scuba/estate", "--now", "2027-01-01"]);
    assert.equal(code, 1);
    assert.match(stdout, /^contoso\.onmicrosoft\.com {2}\(2 mandatory, 1 advisory\)$/m);
    assert.match(stdout, /^fabrikam\.onmicrosoft\.com {2}\(2 mandatory, 1 advisory\)$/m);
    const fabrikam = stdout.slice(stdout.indexOf("fabrikam.onmicrosoft.com  ("));
    assert.ok(
      fabrikam.includes(
        '  MANDATORY  sender-ip-not-shared  inbound connector "Copier relay by IP"\n    in:  scuba/estate/fabrikam/ProviderSettingsExport.json\n    also listed under: contoso.onmicrosoft.com\n',
      ),
      fabrikam,
    );
    assert.match(
      stdout,
      /^Read 4 files, 2 tenants, 4 inbound connectors, 2 send connectors, 2 certificates; findings: 2 mandatory, 2 advisory\.$/m,
    );
  });

  it("says where the other tenant's claim comes from: the certificate and its wildcard SAN", async () => {
    const { stdout } = await cli(["audit", "scuba/estate", "--now", "2027-01-01", "--format", "json"]);
    const finding = (JSON.parse(stdout).findings as { ruleId: string; message: string }[]).find(
      (f) => f.ruleId === "certificate-not-shared-across-tenants",
    );
    assert.equal(
      finding?.message,
      'Certificate name "relay.contoso.com" is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com". Exchange Online attributes mail by certificate domain, so it cannot tell these tenants apart. Claimed for "contoso.onmicrosoft.com" by inbound connector "Inbound from contoso on-premises" (TlsSenderCertificateName); "fabrikam.onmicrosoft.com" by certificate 34E12277D69E0EBC01669995B136C88FD641BE8A (CN=relay.fabrikam.com, O=Fabrikam, C=US), whose wildcard SAN "*.contoso.com" covers it.',
    );
  });

  it("gives a cross-tenant finding a location per tenant in JSON and SARIF", async () => {
    const json = JSON.parse((await cli(["audit", "scuba/estate", "--now", "2027-01-01", "--format", "json"])).stdout);
    const shared = json.findings.find((f: { ruleId: string }) => f.ruleId === "sender-ip-not-shared");
    assert.deepEqual(shared.tenants, ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
    assert.deepEqual(
      shared.locations.map((l: { tenant: string; resource: { name: string; source: string } }) => [
        l.tenant,
        l.resource.name,
        l.resource.source,
      ]),
      [
        ["contoso.onmicrosoft.com", "Scanner relay by IP", "scuba/estate/contoso/ProviderSettingsExport.json"],
        ["fabrikam.onmicrosoft.com", "Copier relay by IP", "scuba/estate/fabrikam/ProviderSettingsExport.json"],
      ],
    );
    const sarif = JSON.parse((await cli(["audit", "scuba/estate", "--now", "2027-01-01", "--format", "sarif"])).stdout) as Sarif.Log;
    const result = sarif.runs[0]?.results?.find((r) => r.ruleId === "sender-ip-not-shared");
    assert.deepEqual(
      result?.locations?.map((l) => [l.physicalLocation?.artifactLocation?.uri, l.logicalLocations?.[0]?.fullyQualifiedName]),
      [
        ["scuba/estate/contoso/ProviderSettingsExport.json", "contoso.onmicrosoft.com/inboundConnector/Scanner relay by IP"],
        ["scuba/estate/fabrikam/ProviderSettingsExport.json", "fabrikam.onmicrosoft.com/inboundConnector/Copier relay by IP"],
      ],
    );
    assert.deepEqual(result?.properties?.tenants, ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
  });

  it("reads one ProviderSettingsExport.json given on its own", async () => {
    const { code, stdout } = await cli([
      "audit",
      "scuba/estate/contoso/ProviderSettingsExport.json",
      "--now",
      "2027-01-01",
      "--format",
      "json",
    ]);
    const report = JSON.parse(stdout);
    assert.deepEqual(report.problems, []);
    assert.equal(report.summary.tenants, 1);
    assert.equal(report.summary.inboundConnectors, 2);
    assert.equal(code, 0, "one tenant alone shares nothing; its IP-only connector is advisory");
  });

  it("puts a shared IP in the plan's defects of both tenants", () => {
    const collection = new Collection();
    readPath(join(FIXTURES, "scuba", "estate"), FIXTURES, collection);
    const { inventory } = collection.assemble();
    const plan = planMigration(inventory, {
      stack: "cutover",
      exchangeOnlineEndpoint: "https://outlook.office365.com",
      now: new Date("2027-01-01"),
    });
    const defects = (tenant: string) => plan.attribution.filter((p) => p.routesTo.includes(tenant)).flatMap((p) => p.defects);
    assert.ok(defects("contoso.onmicrosoft.com").includes("sender-ip-not-shared (mandatory)"), JSON.stringify(plan.attribution));
    assert.ok(defects("fabrikam.onmicrosoft.com").includes("sender-ip-not-shared (mandatory)"), JSON.stringify(plan.attribution));
  });

  it("the engine gives each cross-tenant finding every tenant it involves", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").senderIPAddresses = ["198.51.100.25"];
    fixture.inbound("fabrikam").senderIPAddresses = ["198.51.100.25"];
    const [finding] = evaluate(fixture.parse(), {}, { only: ["sender-ip-not-shared"] });
    assert.deepEqual(finding?.tenants, ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
  });
});
