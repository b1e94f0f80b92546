import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "./harness";

/**
 * The built CLI as a user runs it (a separate process, exit code and streams as the shell sees them)
 * on the export formats of issue 16. A hang (a FIFO or /dev/zero opened) fails the spawn's timeout;
 * the timeout guards against hanging, it is not a speed target.
 */
const CLI = join(ROOT, "dist", "cli", "main.js");
const FIXTURES = join(ROOT, "test", "fixtures");

function mailflowGuard(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  assert.equal(result.error, undefined, `the CLI did not finish: ${result.error?.message}`);
  assert.doesNotMatch(result.stdout + result.stderr, /This is a bug|\n\s+at .+:\d+:\d+/);
  return result;
}

function copyOf(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mfg-e2e-exports-"));
  cpSync(join(FIXTURES, fixture), join(dir, "export"), { recursive: true });
  return dir;
}

describe("mailflow-guard audit (process) on what admins and their tools export", () => {
  it("CliXml on-premises files beside JSON and CliXml tenant folders: the tenant without its own Send Connector, exit 1", () => {
    const { status, stdout } = mailflowGuard(["audit", "clixml/mixed", "--now", "2027-01-01"], FIXTURES);
    assert.equal(status, 1);
    assert.match(
      stdout,
      /^ {4}Tenant "fabrikam\.onmicrosoft\.com" has OnPremises inbound connector "Inbound from fabrikam on-premises" but no Send Connector routes to it\.$/m,
    );
  });

  it("ScubaGear exports with an on-premises folder beside them, exit 1", () => {
    const { status, stdout } = mailflowGuard(["audit", "scuba/estate", "--now", "2027-01-01"], FIXTURES);
    assert.equal(status, 1);
    assert.match(stdout, /^fabrikam\.onmicrosoft\.com {2}\(2 mandatory, 1 advisory\)$/m);
  });

  it("an unknown file in _onprem/: exit 2, named under Not read", () => {
    const dir = copyOf("clixml/mixed");
    writeFileSync(
      join(dir, "export", "_onprem", "Get-ReceiveConnector.json"),
      JSON.stringify([{ Name: "Default Frontend EXCH01", Bindings: ["0.0.0.0:25"] }]),
    );
    const { status, stdout } = mailflowGuard(["audit", "export", "--now", "2027-01-01"], dir);
    assert.equal(status, 2);
    assert.match(
      stdout,
      /^Not read:\n(?: {2}.*\n)* {2}export\/_onprem\/Get-ReceiveConnector\.json: not Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output$/m,
    );
    assert.doesNotMatch(stdout, /^No findings: /m);
  });

  it("a FIFO and a link to /dev/zero: named, not read, no hang, exit 2", () => {
    const dir = copyOf("clixml/mixed");
    execFileSync("mkfifo", [join(dir, "export", "contoso.onmicrosoft.com", "ExchangeCertificate.json")]);
    symlinkSync("/dev/zero", join(dir, "export", "_onprem", "SendConnector.json"));
    const { status, stdout } = mailflowGuard(["audit", "export", "--now", "2027-01-01"], dir);
    assert.equal(status, 2);
    assert.match(
      stdout,
      /^ {2}export\/contoso\.onmicrosoft\.com\/ExchangeCertificate\.json: is a FIFO \(named pipe\), not a regular file; not read$/m,
    );
    assert.match(
      stdout,
      /^ {2}export\/_onprem\/SendConnector\.json: is a symbolic link to \/dev\/zero, outside the export export; not read\./m,
    );
  });

  it("InboundConnector.csv: refused with the reason and the two commands that work, exit 2", () => {
    const dir = copyOf("clixml/mixed");
    writeFileSync(
      join(dir, "export", "contoso.onmicrosoft.com", "InboundConnector.csv"),
      '"Name","SenderIPAddresses"\n"Scanner relay by IP","System.Object[]"\n',
    );
    const { status, stdout } = mailflowGuard(["audit", "export", "--now", "2027-01-01"], dir);
    assert.equal(status, 2);
    assert.ok(
      stdout.includes(
        'export/contoso.onmicrosoft.com/InboundConnector.csv: is CSV (Export-Csv). CSV flattens multi-valued properties (SenderIPAddresses, SmartHosts, AddressSpaces become one string or "System.Object[]"), so it cannot be audited. Export it with Get-InboundConnector | Export-Clixml InboundConnector.xml, or Get-InboundConnector | ConvertTo-Json -Depth 5 | Out-File InboundConnector.json -Encoding utf8',
      ),
      stdout,
    );
    assert.match(
      stdout,
      /^No findings in what was read, but not all inputs were read \(see below\)|^contoso\.onmicrosoft\.com .* not all of its inputs were read/m,
    );
  });
});
