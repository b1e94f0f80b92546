import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture, testCertificate } from "../../support/inventory";

const RULE = "certificate-not-shared-across-tenants";

describe(RULE, () => {
  it("reports two different certificates carrying the same name for two tenants", () => {
    const fixture = new InventoryFixture();
    const second = testCertificate({ dnsNames: ["relay.contoso.com"], serial: 9001 }, { tenant: "fabrikam.onmicrosoft.com" });
    assert.notEqual(second.thumbprint, fixture.certificate("contoso").thumbprint);
    fixture.useCertificate("fabrikam", second);
    fixture.inbound("fabrikam").tlsSenderCertificateName = "relay.contoso.com";
    assert.deepEqual(fixture.messages(RULE), [
      `Certificate name "relay.contoso.com" is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com". Exchange Online attributes mail by certificate domain, so it cannot tell these tenants apart.`,
    ]);
  });

  it("reports a multi-SAN certificate of one tenant that also covers another tenant's name", () => {
    const fixture = new InventoryFixture();
    fixture.useCertificate(
      "contoso",
      testCertificate({ dnsNames: ["relay.contoso.com", "relay.fabrikam.com"] }, { tenant: "contoso.onmicrosoft.com" }),
    );
    const multiSan = fixture.certificate("contoso");
    assert.deepEqual(fixture.messages(RULE), [
      `Certificate name "relay.fabrikam.com" is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com". Exchange Online attributes mail by certificate domain, so it cannot tell these tenants apart. Claimed for "contoso.onmicrosoft.com" by certificate ${multiSan.thumbprint} (${multiSan.subject}), which lists it among 2 SANs (relay.contoso.com, relay.fabrikam.com); "fabrikam.onmicrosoft.com" by inbound connector "fabrikam-inbound" (TlsSenderCertificateName).`,
    ]);
  });

  it("says that a claim comes from a wildcard SAN, and lists the finding under both tenants", () => {
    const fixture = new InventoryFixture();
    fixture.useCertificate("contoso", testCertificate({ dnsNames: ["*.fabrikam.com"] }, { tenant: "contoso.onmicrosoft.com" }));
    fixture.inbound("fabrikam").tlsSenderCertificateName = "relay.fabrikam.com";
    const wildcard = fixture.certificate("contoso");
    const finding = fixture.findings(RULE).find((f) => f.message.startsWith('Certificate name "relay.fabrikam.com"'));
    assert.equal(
      finding?.message,
      `Certificate name "relay.fabrikam.com" is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com". Exchange Online attributes mail by certificate domain, so it cannot tell these tenants apart. Claimed for "contoso.onmicrosoft.com" by certificate ${wildcard.thumbprint} (${wildcard.subject}), whose wildcard SAN "*.fabrikam.com" covers it; "fabrikam.onmicrosoft.com" by inbound connector "fabrikam-inbound" (TlsSenderCertificateName).`,
    );
    assert.deepEqual(finding?.tenants, ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
  });

  it("reports one certificate (thumbprint) serving two tenants", () => {
    const fixture = new InventoryFixture();
    const shared = fixture.certificate("contoso");
    fixture.send("fabrikam").certificateThumbprint = shared.thumbprint;
    fixture.send("fabrikam").tlsCertificateName = fixture.send("contoso").tlsCertificateName;
    const messages = fixture.messages(RULE);
    assert.ok(
      messages.includes(`Certificate ${shared.thumbprint} is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com".`),
      messages.join("\n"),
    );
  });
});
