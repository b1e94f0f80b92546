import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Finding } from "../../../policy/src/engine";
import { InventoryFixture, testCertificate } from "../../support/inventory";

// A suggested fix never proposes what another rule refuses: each fix the findings offer is applied
// to the inventory and the engine run again; the finding goes and no new one comes.
const key = (f: Finding) => `${f.ruleId} ${f.resource.kind}:${f.resource.name} ${f.tenant ?? ""}`;

/** The fixes this test knows how to apply, read from the remediation text a person would follow. */
function applyFixes(fixture: InventoryFixture, finding: Finding): InventoryFixture[] {
  const applied: InventoryFixture[] = [];
  const rename = /set TlsSenderCertificateName of inbound connector "([^"]+)" \(Set-InboundConnector\) to ([^,\s]+),/.exec(
    finding.remediation,
  );
  if (rename) {
    const copy = clone(fixture);
    const inbound = copy.inboundConnectors.find((c) => c.name === rename[1]);
    assert.ok(inbound, `remediation names an unknown connector: ${finding.remediation}`);
    inbound.tlsSenderCertificateName = rename[2];
    applied.push(copy);
  }
  const own = /^Use a certificate (?:of (\S+)'s own )?whose SAN contains (\S+) on Send Connector "([^"]+)"/.exec(finding.remediation);
  if (own) {
    const copy = clone(fixture);
    const send = copy.sendConnectors.find((c) => c.name === own[3]);
    assert.ok(send);
    const prefix = (send.tenants[0] as string).split(".")[0] as string;
    copy.useCertificate(
      prefix,
      testCertificate({ dnsNames: [own[2] as string], organization: prefix }, { tenant: send.tenants[0] as string }),
    );
    applied.push(copy);
  }
  return applied;
}

function clone(fixture: InventoryFixture): InventoryFixture {
  const copy = new InventoryFixture([]);
  const snapshot = structuredClone(fixture.snapshot());
  copy.tenants.push(...snapshot.tenants);
  copy.inboundConnectors.push(...snapshot.inboundConnectors);
  copy.sendConnectors.push(...snapshot.sendConnectors);
  copy.certificates.push(...snapshot.certificates);
  return copy;
}

function assertFixesAreSafe(fixture: InventoryFixture, ruleId: string): number {
  const before = fixture.findings();
  let checked = 0;
  for (const finding of before.filter((f) => f.ruleId === ruleId)) {
    for (const fixed of applyFixes(fixture, finding)) {
      checked++;
      const after = fixed.findings();
      const known = new Set(before.map(key));
      assert.deepEqual(
        after.filter((f) => !known.has(key(f))).map((f) => `${f.ruleId}: ${f.message}`),
        [],
        `the fix "${finding.remediation}" brings new findings`,
      );
      assert.equal(
        after.some((f) => key(f) === key(finding)),
        false,
        `the fix "${finding.remediation}" does not remove the finding`,
      );
    }
  }
  return checked;
}

describe("certificate-covers-sender-name's fixes pass every rule", () => {
  it("fabrikam reusing contoso's certificate is never told to name relay.contoso.com", () => {
    const fixture = new InventoryFixture();
    fixture.useCertificate("fabrikam", fixture.certificate("contoso"));
    const [finding] = fixture.findings("certificate-covers-sender-name");
    assert.equal(
      finding?.remediation,
      `Use a certificate of fabrikam.onmicrosoft.com's own whose SAN contains relay.fabrikam.com on Send Connector "fabrikam-send" (Set-SendConnector -TlsCertificateName).`,
    );
    assert.equal(assertFixesAreSafe(fixture, "certificate-covers-sender-name"), 1);
  });

  it("offers the tenant's own accepted domain the certificate presents, and that fix is clean", () => {
    const fixture = new InventoryFixture();
    fixture.useCertificate(
      "contoso",
      testCertificate({ dnsNames: ["contoso.com"], organization: "contoso" }, { tenant: "contoso.onmicrosoft.com" }),
    );
    const [finding] = fixture.findings("certificate-covers-sender-name");
    assert.equal(
      finding?.remediation,
      `Use a certificate whose SAN contains relay.contoso.com on Send Connector "contoso-send" (Set-SendConnector -TlsCertificateName), or set TlsSenderCertificateName of inbound connector "contoso-inbound" (Set-InboundConnector) to contoso.com, an accepted domain of contoso.onmicrosoft.com that the certificate presents.`,
    );
    assert.equal(assertFixesAreSafe(fixture, "certificate-covers-sender-name"), 2);
  });
});
