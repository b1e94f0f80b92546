import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture, testCertificate } from "../../support/inventory";

const RULE = "certificate-covers-sender-name";

describe(RULE, () => {
  it("accepts a wildcard certificate *.contoso.com covering the accepted name relay.contoso.com", () => {
    const fixture = new InventoryFixture();
    fixture.useCertificate("contoso", testCertificate({ dnsNames: ["*.contoso.com"] }, { tenant: "contoso.onmicrosoft.com" }));
    assert.deepEqual(fixture.findings(), []);
  });

  it("reports a certificate that does not cover TlsSenderCertificateName", () => {
    const fixture = new InventoryFixture();
    const certificate = testCertificate({ dnsNames: ["mail.contoso.com", "*.relay.contoso.com"] }, { tenant: "contoso.onmicrosoft.com" });
    fixture.useCertificate("contoso", certificate);
    const [finding, ...rest] = fixture.findings(RULE);
    assert.deepEqual(rest, []);
    assert.equal(
      finding?.message,
      `Certificate ${certificate.thumbprint} presented by send connector "contoso-send" does not cover 'TlsSenderCertificateName' "relay.contoso.com" of inbound connector "contoso-inbound" (it presents: mail.contoso.com, *.relay.contoso.com).`,
    );
    assert.equal(
      finding?.remediation,
      `Use a certificate of contoso.onmicrosoft.com's own whose SAN contains relay.contoso.com on Send Connector "contoso-send" (Set-SendConnector -TlsCertificateName).`,
    );
  });

  it("reports a TlsCertificateName that does not match the connector's certificate", () => {
    const fixture = new InventoryFixture();
    fixture.send("contoso").tlsCertificateName = "<I>CN=Other CA<S>CN=relay.contoso.com";
    const thumbprint = fixture.certificate("contoso").thumbprint;
    assert.deepEqual(fixture.messages(RULE), [
      `Send connector "contoso-send" has 'TlsCertificateName' "<I>CN=Other CA<S>CN=relay.contoso.com", which does not match its certificate ${thumbprint} ("<I>CN=Test Issuing CA, O=Test CA, C=US<S>CN=relay.contoso.com, O=contoso, C=US").`,
    ]);
  });

  it("reports a TlsCertificateName that names no known certificate", () => {
    const fixture = new InventoryFixture();
    fixture.send("contoso").certificateThumbprint = undefined;
    fixture.send("contoso").tlsCertificateName = "<I>CN=Other CA<S>CN=relay.contoso.com";
    assert.deepEqual(fixture.messages(RULE), [
      `Send connector "contoso-send" has 'TlsCertificateName' "<I>CN=Other CA<S>CN=relay.contoso.com", which matches no certificate in the inventory.`,
    ]);
  });

  it("reports a send connector that presents no certificate to a certificate-authenticated tenant", () => {
    const fixture = new InventoryFixture();
    fixture.send("fabrikam").certificateThumbprint = undefined;
    fixture.send("fabrikam").tlsCertificateName = undefined;
    assert.deepEqual(fixture.messages(RULE), [
      `Send connector "fabrikam-send" sets no 'TlsCertificateName', so it cannot present the certificate for 'TlsSenderCertificateName' "relay.fabrikam.com" of inbound connector "fabrikam-inbound".`,
    ]);
  });
});

describe("a wildcard TlsSenderCertificateName (New-InboundConnector: *.contoso.com is the domain and all its subdomains)", () => {
  const RULE = "certificate-covers-sender-name";

  it("is covered by a certificate for a subdomain or for the domain itself: no mandatory finding, only the advisory", () => {
    for (const presented of ["relay.contoso.com", "contoso.com", "a.b.contoso.com"]) {
      const fixture = new InventoryFixture();
      fixture.useCertificate("contoso", testCertificate({ dnsNames: [presented] }, { tenant: "contoso.onmicrosoft.com" }));
      fixture.inbound("contoso").tlsSenderCertificateName = "*.contoso.com";
      assert.deepEqual(fixture.messages(RULE), [], presented);
      assert.deepEqual(
        fixture.findings().map((f) => [f.ruleId, f.severity]),
        [["inbound-connector-settings", "advisory"]],
        presented,
      );
    }
  });

  it("is not covered by a certificate for another domain", () => {
    const fixture = new InventoryFixture();
    const certificate = testCertificate({ dnsNames: ["relay.contoso.net"] }, { tenant: "contoso.onmicrosoft.com" });
    fixture.useCertificate("contoso", certificate);
    fixture.inbound("contoso").tlsSenderCertificateName = "*.contoso.com";
    assert.deepEqual(fixture.messages(RULE), [
      `Certificate ${certificate.thumbprint} presented by send connector "contoso-send" does not cover 'TlsSenderCertificateName' "*.contoso.com" of inbound connector "contoso-inbound" (it presents: relay.contoso.net).`,
    ]);
  });
});
