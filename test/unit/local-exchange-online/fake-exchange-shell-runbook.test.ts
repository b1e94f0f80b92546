import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, beforeEach, describe, test } from "node:test";
import {
  CERTIFICATES_ENV,
  type FakeShellState,
  FILES_ENV,
  parseScript,
  runScript,
} from "../../../local-exchange-online/fake-exchange-shell";
import { exchangeTlsCertificateName, parseCertificatePem } from "../../../policy/src/engine";
import { makeCertificatePem } from "../../support/certs";

/**
 * The stand-in Exchange Management Shell running the runbook's certificate lines: what Exchange does
 * with them (Microsoft Learn: New-ExchangeCertificate -GenerateRequest, Import-ExchangeCertificate,
 * Enable-ExchangeCertificate, Export-ExchangeCertificate) and what it refuses.
 */
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

let disks: string;
let state: FakeShellState;
const share = () => path.join(disks, "EX01", "C$", "mailflow-guard");
const run = (lines: string[]) => runScript(parseScript(lines.join("\n")), state);
const REQUEST = [
  "New-Item -ItemType Directory -Force -Path '\\\\EX01\\C$\\mailflow-guard' | Out-Null",
  "New-ExchangeCertificate -Server 'EX01' -GenerateRequest -RequestFile '\\\\EX01\\C$\\mailflow-guard\\relay.adatum.com.req' -SubjectName 'CN=relay.adatum.com' -DomainName 'relay.adatum.com' -FriendlyName 'mailflow-guard adatum.onmicrosoft.com' -KeySize 2048 -PrivateKeyExportable $true",
];
const IMPORT =
  "$cert = Import-ExchangeCertificate -Server 'EX01' -FileData ([System.IO.File]::ReadAllBytes('\\\\EX01\\C$\\mailflow-guard\\relay.adatum.com.cer'))";
/** The CA's answer to the request, saved where the runbook says. */
function answer(dnsNames = ["relay.adatum.com"]): string {
  const pem = makeCertificatePem({ dnsNames, organization: "Adatum" });
  fs.writeFileSync(path.join(share(), "relay.adatum.com.cer"), pem);
  return pem;
}

beforeEach(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mfg-fake-shell-"));
  dirs.push(dir);
  disks = path.join(dir, "disks");
  process.env[FILES_ENV] = disks;
  process.env[CERTIFICATES_ENV] = path.join(dir, "store");
  state = { version: 1, sendConnectors: [] };
});

describe("fake-exchange-shell: the runbook's certificate lines", () => {
  test("a request completed on EX01, copied with its key to EX02, presented by the Send Connector it names", () => {
    assert.deepEqual(run(REQUEST), { stdout: [], error: null });
    const request = JSON.parse(fs.readFileSync(path.join(share(), "relay.adatum.com.req"), "utf8"));
    assert.deepEqual([request.server, request.subject, request.domainNames], ["EX01", "CN=relay.adatum.com", ["relay.adatum.com"]]);
    const pem = answer();
    const facts = parseCertificatePem(pem, "answer");
    const result = run([
      IMPORT,
      "Enable-ExchangeCertificate -Server 'EX01' -Thumbprint $cert.Thumbprint -Services SMTP",
      "$password = Read-Host -AsSecureString -Prompt 'Password to protect the exported keys (PFX)'",
      "Export-ExchangeCertificate -Server 'EX01' -Thumbprint $cert.Thumbprint -FileName '\\\\EX01\\C$\\mailflow-guard\\relay.adatum.com.pfx' -BinaryEncoded -Password $password",
      "Import-ExchangeCertificate -Server 'EX02' -FileData ([System.IO.File]::ReadAllBytes('\\\\EX01\\C$\\mailflow-guard\\relay.adatum.com.pfx')) -Password $password | Out-Null",
      "Enable-ExchangeCertificate -Server 'EX02' -Thumbprint $cert.Thumbprint -Services SMTP",
      "$cert = Get-ExchangeCertificate -Server 'EX02' -DomainName 'relay.adatum.com' | Sort-Object NotAfter | Select-Object -Last 1",
      "New-SendConnector -Name 'Outbound to adatum.onmicrosoft.com' -Usage Custom -AddressSpaces 'adatum.mail.onmicrosoft.com' -SmartHosts 'adatum.mail.protection.outlook.com' -DNSRoutingEnabled $false -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain 'mail.protection.outlook.com' -TlsCertificateName \"<I>$($cert.Issuer)<S>$($cert.Subject)\" -CloudServicesMailEnabled $true -SourceTransportServers 'EX01','EX02'",
    ]);
    assert.deepEqual(result, { stdout: [], error: null });
    assert.deepEqual(state.certificateRequests, []);
    assert.deepEqual(state.certificateServices, {
      [`EX01 ${facts.thumbprint}`]: { services: "SMTP", exportable: true },
      [`EX02 ${facts.thumbprint}`]: { services: "SMTP", exportable: true },
    });
    const [connector] = state.sendConnectors;
    assert.equal(connector?.TlsCertificateName, exchangeTlsCertificateName(facts));
    assert.deepEqual(connector?.SourceTransportServers, ["EX01", "EX02"]);
    assert.equal(connector?.TlsAuthLevel, "DomainValidation");
  });

  test("a certificate that answers no pending request of that server is refused", () => {
    run(REQUEST);
    answer(["relay.litware.com"]);
    assert.deepEqual(run([IMPORT]), {
      stdout: [],
      error:
        "The certificate for relay.litware.com doesn't match a pending certificate request on EX01, so its private key can't be found.",
    });
  });

  test("a PFX opens only with the password it was exported with", () => {
    run(REQUEST);
    answer();
    const result = run([
      IMPORT,
      "$password = Read-Host -AsSecureString -Prompt 'one'",
      "Export-ExchangeCertificate -Server 'EX01' -Thumbprint $cert.Thumbprint -FileName '\\\\EX01\\C$\\mailflow-guard\\relay.adatum.com.pfx' -BinaryEncoded -Password $password",
    ]);
    assert.equal(result.error, null);
    // A later session's Read-Host is another secure string.
    const other = run([
      "$first = Read-Host -AsSecureString -Prompt 'unrelated'",
      "$password = Read-Host -AsSecureString -Prompt 'two'",
      "Import-ExchangeCertificate -Server 'EX02' -FileData ([System.IO.File]::ReadAllBytes('\\\\EX01\\C$\\mailflow-guard\\relay.adatum.com.pfx')) -Password $password",
    ]);
    assert.equal(other.error, "The PKCS12 file has an invalid password.");
  });

  test("a Send Connector naming a certificate that was not found changes nothing", () => {
    const result = run([
      "$cert = Get-ExchangeCertificate -Server 'EX01' -DomainName 'relay.nowhere.com' | Sort-Object NotAfter | Select-Object -Last 1",
      "New-SendConnector -Name 'x' -AddressSpaces 'adatum.mail.onmicrosoft.com' -SmartHosts 'adatum.mail.protection.outlook.com' -DNSRoutingEnabled $false -TlsCertificateName \"<I>$($cert.Issuer)<S>$($cert.Subject)\"",
    ]);
    assert.equal(result.error, "Cannot bind parameter 'TlsCertificateName': $cert holds no certificate.");
    assert.deepEqual(state.sendConnectors, []);
  });

  test("a path on a drive of a machine the stand-in does not have is refused, not guessed", () => {
    assert.equal(
      run(["New-Item -ItemType Directory -Force -Path 'C:\\mailflow-guard'"]).error,
      "Stand-in: C:\\mailflow-guard is a local drive of a machine it does not have; use a UNC path (\\\\server\\C$\\…) or a relative one.",
    );
  });
});
