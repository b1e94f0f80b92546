import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv";
import type * as Sarif from "sarif";
import { type CliIo, run } from "../../../cli/main";
import { ExchangeOnlineClient, StaticTokenProvider } from "../../../components/exo/client";
import { startLocalExchangeOnline } from "../../../local-exchange-online/server";
import { OrgAssignmentsSchema } from "../../../policy/src/engine";

// Fixtures live in the source tree; tests run from dist/test/unit/cli.
const ROOT = join(__dirname, "..", "..", "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures", "audit");
const VENDOR = ["--add-on-connector", "Signature service relay (Vendor)"];

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, stderrIsTty = false) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: FIXTURES, env, stderrIsTty };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

describe("mailflow-guard audit", () => {
  it("reports the brownfield HCW tenant's certificate name, grouped by tenant with the fix, and exits 1", async () => {
    const { code, stdout } = await cli(["audit", "brownfield", "--now", "2026-06-01", ...VENDOR]);
    assert.equal(code, 1);
    assert.match(stdout, /^contoso\.onmicrosoft\.com {2}\(1 mandatory, 0 advisory\)$/m);
    assert.match(
      stdout,
      /MANDATORY +certificate-name-is-accepted-domain +inbound connector "Inbound from 3f2a9c4e-1b7d-4e0a-9c55-2d8e6b1f7a10"/,
    );
    assert.match(stdout, /Fix: Add it with New-AcceptedDomain -DomainName mail\.contoso\.com/);
    assert.match(stdout, /^No findings: fabrikam\.onmicrosoft\.com, northwind\.onmicrosoft\.com$/m);
    assert.match(
      stdout,
      /^Read 8 files, 3 tenants, 3 inbound connectors, 2 send connectors, 4 certificates \(2 not presented by any send connector\); findings: 1 mandatory, 0 advisory; skipped on purpose: 1 send connector\.$/m,
    );
  });

  it("counts a connector skipped on purpose (DNS-routed internet Send Connector) as skipped, not as an input NOT read", async () => {
    const { stdout } = await cli(["audit", "brownfield", "--now", "2026-06-01", ...VENDOR]);
    assert.doesNotMatch(stdout, /NOT read|^Not read:/m);
    assert.match(
      stdout,
      /^Skipped on purpose \(not on a tenant's mail-flow path\):\n {2}brownfield\/_onprem\/SendConnector\.json: send connector "Internet": routes to no tenant of this run and not to Exchange Online$/m,
    );
    const json = JSON.parse((await cli(["audit", "brownfield", "--now", "2026-06-01", "--format", "json", ...VENDOR])).stdout);
    assert.deepEqual(json.summary.inputsNotRead, []);
    assert.equal(json.summary.sendConnectorsSkipped, 1);
  });

  it("reports both tenants of overlapping IP-only connectors", async () => {
    const { code, stdout } = await cli(["audit", "overlap", "--format", "json"]);
    assert.equal(code, 1);
    const report = JSON.parse(stdout);
    assert.equal(report.tool, "mailflow-guard");
    assert.deepEqual(report.summary.findings, { mandatory: 1, advisory: 2, total: 3 });
    const shared = report.findings.find((f: { ruleId: string }) => f.ruleId === "sender-ip-not-shared");
    assert.match(shared.message, /"adatum\.onmicrosoft\.com".*"litware\.onmicrosoft\.com"/);
    assert.match(shared.remediation, /TlsSenderCertificateName/);
    assert.deepEqual(report.problems, []);
  });

  it("exits 0 on a clean tenant, and 1 with --fail-on advisory on advisories only", async () => {
    assert.equal((await cli(["audit", "brownfield/fabrikam.onmicrosoft.com", "--now", "2026-06-01"])).code, 0);
    const litware = await cli(["audit", "overlap/litware.onmicrosoft.com", "--fail-on", "advisory"]);
    assert.equal(litware.code, 1);
    assert.equal((await cli(["audit", "overlap/litware.onmicrosoft.com"])).code, 0);
  });

  it("names file and field of every bad input, still audits the rest, and exits 2", async () => {
    const { code, stdout, stderr } = await cli(["audit", "bad", "--format", "json"]);
    assert.equal(code, 2);
    const report = JSON.parse(stdout);
    assert.deepEqual(report.problems, [
      "bad/_onprem/ExchangeCertificate.json: [0].Thumbprint: is missing; export with Get-ExchangeCertificate | ConvertTo-Json -Depth 5",
      'bad/contoso.onmicrosoft.com/InboundConnector.json: [1].ConnectorType: unknown value "Foo" (expected OnPremises or Partner)',
      "bad/contoso.onmicrosoft.com/InboundConnector.json: [2].Name: is missing; every connector needs a Name",
      "bad/tailspin.onmicrosoft.com/AcceptedDomain.json: is not complete JSON (it breaks at line 6, column 1); the export was cut off. Export it again with ConvertTo-Json -Depth 5.",
    ]);
    assert.equal(report.summary.tenants, 1);
    assert.equal(report.summary.inboundConnectors, 1);
    assert.equal(report.summary.exitCode, 2);
    assert.ok(report.summary.inputsNotRead.some((entry: { input: string }) => entry.input === "bad/tailspin.onmicrosoft.com"));
    assert.match(stderr, /NOT read: 2 inputs, 4 input problems\.$/m);
  });

  it("writes SARIF 2.1.0 that validates against the schema", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mfg-"));
    const out = join(dir, "audit.sarif");
    const { code } = await cli(["audit", "brownfield", "overlap", "--format", "sarif", "--output", out, "--now", "2026-06-01"]);
    assert.equal(code, 1);
    const log = JSON.parse(readFileSync(out, "utf8")) as Sarif.Log;
    // The schema file declares draft-04; its keywords are the draft-07 subset Ajv 8 validates.
    const {
      $schema: _draft,
      id: _id,
      ...schema
    } = JSON.parse(readFileSync(join(ROOT, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"));
    const ajv = new Ajv({ strict: false, unicodeRegExp: false });
    const valid = ajv.validate(schema, structuredClone(log));
    assert.ok(valid, JSON.stringify(ajv.errors));
    const run0 = log.runs[0];
    assert.ok(run0?.tool.driver.rules?.some((r) => r.id === "sender-ip-not-shared"));
    const result = run0?.results?.find((r) => r.ruleId === "certificate-name-is-accepted-domain");
    assert.equal(result?.level, "error");
    assert.match(result?.message.text ?? "", / Fix: /);
    assert.equal(
      result?.locations?.[0]?.physicalLocation?.artifactLocation?.uri,
      "brownfield/contoso.onmicrosoft.com/InboundConnector.json",
    );
    assert.equal(result?.locations?.[0]?.logicalLocations?.[0]?.name, "Inbound from 3f2a9c4e-1b7d-4e0a-9c55-2d8e6b1f7a10");
  });

  it("reads pulumi stack exports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mfg-"));
    const file = join(dir, "stack.json");
    const props = {
      name: "contoso-inbound",
      tenant: "contoso.onmicrosoft.com",
      acceptedDomains: ["contoso.com"],
      connectorType: "OnPremises",
      tlsSenderCertificateName: "relay.example.net",
      requireTls: true,
      cloudServicesMailEnabled: true,
    };
    const urn =
      "urn:pulumi:prod::mail::mailflow:exchange:TenantConnectorPair$pulumi-nodejs:dynamic/mailflow:InboundConnector::contoso-inbound";
    writeFileSync(
      file,
      JSON.stringify({
        version: 3,
        deployment: { resources: [{ urn, type: "pulumi-nodejs:dynamic/mailflow:InboundConnector", inputs: props, outputs: props }] },
      }),
    );
    const { code, stdout } = await cli(["audit", file, "--format", "json"]);
    const report = JSON.parse(stdout);
    assert.equal(code, 1);
    const finding = report.findings.find((f: { ruleId: string }) => f.ruleId === "certificate-name-is-accepted-domain");
    assert.equal(finding.resource.urn, urn);
  });

  it("rejects bad usage with exit 2 and a hint, never a stack trace", async () => {
    const format = await cli(["audit", "brownfield", "--format", "xml"]);
    assert.equal(format.code, 2);
    assert.equal(
      format.stderr,
      'mailflow-guard: error: --format "xml" is not allowed. Allowed values are: text, json, sarif, html\nSee "mailflow-guard audit --help".\n',
    );
    const live = await cli(["audit", "--live", "contoso.onmicrosoft.com"]);
    assert.equal(live.code, 2);
    assert.match(live.stderr, /--live needs --token-env VAR/);
    assert.equal((await cli(["frobnicate"])).code, 2);
    const help = await cli(["audit", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: mailflow-guard audit/);
  });

  it("runs as the package bin with a shebang and exit codes", () => {
    const main = join(ROOT, "dist", "cli", "main.js");
    assert.match(readFileSync(main, "utf8"), /^#!\/usr\/bin\/env node\n/);
    const result = spawnSync(process.execPath, [main, "audit", "overlap", "--format", "json"], { cwd: FIXTURES, encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.equal(JSON.parse(result.stdout).summary.tenants, 2);
    assert.equal(execFileSync(process.execPath, [main, "--version"], { encoding: "utf8" }).trim().length > 0, true);
  });
});

describe("mailflow-guard inventory", () => {
  it("writes the org-wide table into both policies' config and reports cross-tenant conflicts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mfg-"));
    const out = join(dir, "org.json");
    const { code, stderr } = await cli(["inventory", "brownfield", "overlap", "--output", out, ...VENDOR]);
    assert.equal(code, 1);
    const config = JSON.parse(readFileSync(out, "utf8"));
    const table = config["certificate-not-shared-across-tenants"].orgAssignments;
    assert.deepEqual(config["sender-ip-not-shared"].orgAssignments, table);
    OrgAssignmentsSchema.parse(table);
    assert.deepEqual(table.tenants["contoso.onmicrosoft.com"], {
      certificateThumbprints: ["5A1B2C3D4E5F60718293A4B5C6D7E8F901234567"],
      certificateNames: ["mail.contoso.com"],
      senderIPAddresses: [],
      sendConnectors: ["Outbound to Office 365 - 3f2a9c4e-1b7d-4e0a-9c55-2d8e6b1f7a10"],
      source: "brownfield/contoso.onmicrosoft.com/AcceptedDomain.json",
    });
    assert.deepEqual(table.tenants["litware.onmicrosoft.com"].senderIPAddresses, ["203.0.113.128/25"]);
    assert.match(stderr, /^conflict: sender-ip-not-shared \(adatum\.onmicrosoft\.com\): .*litware/m);
    assert.match(stderr, /1 cross-tenant conflict\.$/m);
  });

  it("feeds audit: --config org.json reports a tenant that reuses another stack's IPs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mfg-"));
    const out = join(dir, "org.json");
    assert.equal((await cli(["inventory", "overlap/adatum.onmicrosoft.com", "--output", out])).code, 0);
    const { code, stdout } = await cli(["audit", "overlap/litware.onmicrosoft.com", "--config", out, "--format", "json"]);
    assert.equal(code, 1);
    assert.ok(JSON.parse(stdout).findings.some((f: { ruleId: string }) => f.ruleId === "sender-ip-not-shared"));
  });
});

describe("audit --config: the policy-pack config, read as the pack reads it", () => {
  function configFile(config: unknown): string {
    const path = join(mkdtempSync(join(tmpdir(), "mfg-")), "okpack.json");
    writeFileSync(path, JSON.stringify(config));
    return path;
  }

  it("applies every policy's level and settings from a pack config without orgAssignments", async () => {
    const path = configFile({ "certificate-name-is-accepted-domain": "advisory", "certificate-validity": { expiryWarningDays: 30 } });
    const { code, stdout, stderr } = await cli([
      "audit",
      "brownfield",
      "--now",
      "2026-06-01",
      "--config",
      path,
      "--format",
      "json",
      ...VENDOR,
    ]);
    assert.equal(stderr.includes("error"), false, stderr);
    assert.equal(code, 0);
    const findings = JSON.parse(stdout).findings as { ruleId: string; severity: string }[];
    assert.deepEqual(
      findings.filter((f) => f.ruleId === "certificate-name-is-accepted-domain").map((f) => f.severity),
      ["advisory"],
    );
  });

  it("refuses a mistyped setting with the key, the nearest valid one and exit 2", async () => {
    const path = configFile({ "certificate-validity": { expiryWarningDayz: 30 } });
    const { code, stderr } = await cli(["audit", "brownfield", "--config", path]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `mailflow-guard: error: ${path}: "certificate-validity" has no setting "expiryWarningDayz". Did you mean "expiryWarningDays"? Its settings are: expiryWarningDays, enforcementLevel.\nSee "mailflow-guard audit --help".\n`,
    );
  });

  it("refuses a bad value of a known setting in one line naming it", async () => {
    const path = configFile({ "certificate-validity": { expiryWarningDays: -1 } });
    const { code, stderr } = await cli(["audit", "brownfield", "--config", path]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `mailflow-guard: error: ${path}: 'expiryWarningDays' Too small: expected number to be >=0.\nSee "mailflow-guard audit --help".\n`,
    );
  });
});

describe("audit --token-env and --progress", () => {
  it("never echoes a token pasted where the variable name belongs", async () => {
    const jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlMzY1LmNvbSJ9.c2lnbmF0dXJl";
    for (const token of [jwt, "Zk3qT9wLm2Xv8RbN4cYp7HsJ"]) {
      const { code, stdout, stderr } = await cli(["audit", "--live", "contoso.onmicrosoft.com", "--token-env", token]);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.equal(stderr.includes(token), false, stderr);
      assert.equal(
        stderr,
        `mailflow-guard: error: --token-env takes the name of the environment variable that holds the token (such as EXO_TOKEN), but what was given (${token.length} characters) looks like a value, not a variable name, so it is not shown. Put the token in a variable (read -rs EXO_TOKEN; export EXO_TOKEN) and pass --token-env EXO_TOKEN\nSee "mailflow-guard audit --help".\n`,
      );
    }
  });

  it("names a variable name that is not set", async () => {
    const { code, stderr } = await cli(["audit", "--live", "contoso.onmicrosoft.com", "--token-env", "EXO_TOKEN"]);
    assert.equal(code, 2);
    assert.match(stderr, /^mailflow-guard: error: --token-env EXO_TOKEN: environment variable EXO_TOKEN is not set or empty$/m);
  });

  const progressLines = (stderr: string) => stderr.split("\n").filter((line) => /^mailflow-guard: (reading|read|checking)/.test(line));

  it("shows progress by default on a terminal, even for a small input, and not in a pipe", async () => {
    const tty = await cli(["audit", "brownfield", "--format", "json", ...VENDOR], {}, true);
    assert.deepEqual(progressLines(tty.stderr), [
      "mailflow-guard: reading brownfield...",
      "mailflow-guard: read 3 tenants; checking them against the rules...",
    ]);
    const pipe = await cli(["audit", "brownfield", "--format", "json", ...VENDOR]);
    assert.deepEqual(progressLines(pipe.stderr), []);
  });

  it("follows --progress and --no-progress, and refuses both", async () => {
    assert.equal(progressLines((await cli(["audit", "brownfield", "--progress", ...VENDOR])).stderr).length, 2);
    assert.deepEqual(progressLines((await cli(["audit", "brownfield", "--no-progress", ...VENDOR], {}, true)).stderr), []);
    const both = await cli(["audit", "brownfield", "--progress", "--no-progress"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^mailflow-guard: error: --progress and --no-progress are opposites; give one$/m);
  });
});

describe("live audit against the local stand-in Exchange Online", () => {
  it("gives the same findings as the audit of a saved export of the same tenants", async () => {
    const server = await startLocalExchangeOnline({
      tenants: {
        "adatum.onmicrosoft.com": { acceptedDomains: ["adatum.com", "adatum.onmicrosoft.com"] },
        "litware.onmicrosoft.com": { acceptedDomains: ["litware.com", "litware.onmicrosoft.com"] },
      },
      log: () => {},
    });
    try {
      for (const [tenant, name, ip] of [
        ["adatum.onmicrosoft.com", "From Adatum datacenter", "203.0.113.0/24"],
        ["litware.onmicrosoft.com", "From Litware SMTP relay", "203.0.113.128/25"],
      ] as const) {
        const client = new ExchangeOnlineClient({ endpoint: server.url, tenant, auth: new StaticTokenProvider("t") });
        await client.invoke("New-InboundConnector", {
          Name: name,
          ConnectorType: "OnPremises",
          SenderIPAddresses: [ip],
          SenderDomains: ["*"],
          RequireTls: true,
        });
      }
      const argv = [
        "--live",
        "adatum.onmicrosoft.com",
        "--live",
        "litware.onmicrosoft.com",
        "--endpoint",
        server.url,
        "--token-env",
        "EXO_TOKEN",
        "--format",
        "json",
      ];
      const live = await cli(["audit", ...argv], { EXO_TOKEN: "t" });
      const saved = await cli(["audit", "overlap", "--format", "json"]);
      assert.equal(live.code, 1);
      const strip = (stdout: string) =>
        JSON.parse(stdout).findings.map((f: { resource: object; related?: object[]; locations?: { resource: object }[] }) => ({
          ...f,
          locations: f.locations?.map((l) => ({ ...l, resource: { ...l.resource, source: undefined } })),
          resource: { ...f.resource, source: undefined },
          related: f.related?.map((r) => ({ ...r, source: undefined })),
        }));
      assert.deepEqual(strip(live.stdout), strip(saved.stdout));
      const shown = await cli(["audit", ...argv, "--progress"], { EXO_TOKEN: "t" });
      const lines = shown.stderr.split("\n").filter((line) => /^mailflow-guard: (read|live:)/.test(line));
      assert.equal(lines.length, 4, lines.join("\n"));
      assert.equal(lines[0], "mailflow-guard: reading 2 live tenants, up to 2 at a time...");
      assert.match(lines[1] as string, /^mailflow-guard: live: 1\/2 tenants, \d+\.\d\/s, about \d+\.\d s left, 0 retries$/);
      assert.match(lines[2] as string, /^mailflow-guard: live: 2\/2 tenants, \d+\.\d\/s, done, 0 retries$/);
      assert.equal(lines[3], "mailflow-guard: read 2 tenants; checking them against the rules...");
    } finally {
      await server.close();
    }
  });

  it("reports an endpoint where nothing listens at once, in one line, and audits nothing", async () => {
    const closed = await startLocalExchangeOnline({ log: () => {} });
    await closed.close();
    const started = Date.now();
    const { code, stderr } = await cli(
      ["audit", "--live", "adatum.onmicrosoft.com", "--endpoint", closed.url, "--token-env", "EXO_TOKEN", "--format", "json"],
      { EXO_TOKEN: "t" },
    );
    assert.equal(code, 2);
    assert.ok(Date.now() - started < 2000, "no retries on a refused connection");
    assert.match(
      stderr,
      new RegExp(
        `^mailflow-guard: live:adatum\\.onmicrosoft\\.com: cannot be read \\(Get-AcceptedDomain failed for tenant adatum\\.onmicrosoft\\.com: NetworkError: fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${closed.port} \\(connection refused: nothing listens at that address and port; check the endpoint; not retried\\)\\)$`,
        "m",
      ),
    );
  });
});

describe("--cloud", () => {
  async function captured(argv: string[]) {
    const seen: { tenant: string; endpoint: string; authorityHost?: string }[] = [];
    let stderr = "";
    const io: CliIo = {
      stdout: () => {},
      stderr: (t) => (stderr += t),
      cwd: FIXTURES,
      env: { EXO_TOKEN: "t" },
      stderrIsTty: false,
      liveReader: (tenant, options) => {
        seen.push({ tenant, endpoint: options.endpoint, ...(options.authorityHost ? { authorityHost: options.authorityHost } : {}) });
        return { getAcceptedDomains: async () => [], getInboundConnectors: async () => [] };
      },
    };
    const code = await run(["audit", ...argv, "--token-env", "EXO_TOKEN"], io);
    return { code, seen, stderr };
  }

  it("reads a GCC High or DoD tenant from that cloud's admin endpoint and token authority", async () => {
    assert.deepEqual((await captured(["--live", "contoso.onmicrosoft.us", "--cloud", "O365USGovDoD"])).seen, [
      { tenant: "contoso.onmicrosoft.us", endpoint: "https://outlook-dod.office365.us", authorityHost: "https://login.microsoftonline.us" },
    ]);
    assert.deepEqual((await captured(["--live", "contoso.onmicrosoft.com"])).seen, [
      { tenant: "contoso.onmicrosoft.com", endpoint: "https://outlook.office365.com", authorityHost: "https://login.microsoftonline.com" },
    ]);
  });

  it("refuses an unknown cloud, listing the allowed ones", async () => {
    const { code, stderr } = await captured(["--live", "contoso.onmicrosoft.de", "--cloud", "O365Germany"]);
    assert.equal(code, 2);
    assert.match(
      stderr,
      /^mailflow-guard: error: --cloud "O365Germany" is not allowed\. Allowed values are: O365Default, O365USGovGCCHigh, O365USGovDoD, O365China$/m,
    );
  });
});
