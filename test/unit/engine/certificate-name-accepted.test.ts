import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture } from "../../support/inventory";

const RULE = "certificate-name-is-accepted-domain";

describe(RULE, () => {
  it("reports a certificate name whose parent domain alone is accepted", () => {
    const fixture = new InventoryFixture();
    fixture.tenant("contoso").acceptedDomains = ["contoso.com", "contoso.onmicrosoft.com"];
    const [finding, ...rest] = fixture.findings(RULE);
    assert.deepEqual(rest, []);
    assert.equal(
      finding?.message,
      `'TlsSenderCertificateName' "relay.contoso.com" is not an accepted domain of tenant "contoso.onmicrosoft.com" (accepted: contoso.com, contoso.onmicrosoft.com). Its parent "contoso.com" is accepted, but Exchange Online attributes mail only by an exactly accepted certificate domain.`,
    );
    assert.equal(
      finding?.remediation,
      `Add it with New-AcceptedDomain -DomainName relay.contoso.com (verified in tenant "contoso.onmicrosoft.com") or use a certificate for an accepted domain and set TlsSenderCertificateName (Set-InboundConnector) to it.`,
    );
    assert.equal(finding?.severity, "mandatory");
    assert.deepEqual(finding?.resource, { kind: "inboundConnector", name: "contoso-inbound" });
  });

  it("reports a name with no accepted relative as a plain sentence", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("fabrikam").tlsSenderCertificateName = "mail.northwind.example";
    assert.deepEqual(fixture.messages(RULE), [
      `'TlsSenderCertificateName' "mail.northwind.example" is not an accepted domain of tenant "fabrikam.onmicrosoft.com" (accepted: fabrikam.com, fabrikam.onmicrosoft.com, relay.fabrikam.com).`,
    ]);
  });

  it('treats "Relay.Contoso.com." as "relay.contoso.com"', () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").tlsSenderCertificateName = "Relay.Contoso.com.";
    fixture.tenant("contoso").acceptedDomains = ["contoso.com", "RELAY.contoso.COM."];
    assert.deepEqual(fixture.findings(), []);
  });

  it("compares IDN domains in punycode", () => {
    const fixture = new InventoryFixture();
    fixture.tenant("contoso").acceptedDomains = ["relay.xn--bcher-kva.example"];
    fixture.inbound("contoso").tlsSenderCertificateName = "Relay.Bücher.example.";
    assert.deepEqual(fixture.messages(RULE), []);
    fixture.tenant("contoso").acceptedDomains = ["bücher.example"];
    assert.deepEqual(fixture.messages(RULE), [
      `'TlsSenderCertificateName' "relay.xn--bcher-kva.example" is not an accepted domain of tenant "contoso.onmicrosoft.com" (accepted: xn--bcher-kva.example). Its parent "xn--bcher-kva.example" is accepted, but Exchange Online attributes mail only by an exactly accepted certificate domain.`,
    ]);
  });

  it("passes a wildcard name when its parent is accepted, and reports it otherwise", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").tlsSenderCertificateName = "*.contoso.com";
    assert.deepEqual(fixture.messages(RULE), []);
    fixture.inbound("contoso").tlsSenderCertificateName = "*.relay.contoso.com";
    fixture.tenant("contoso").acceptedDomains = ["contoso.com"];
    assert.deepEqual(fixture.messages(RULE), [
      `'TlsSenderCertificateName' "*.relay.contoso.com" is not an accepted domain of tenant "contoso.onmicrosoft.com" (accepted: contoso.com). Its parent "contoso.com" is accepted, but Exchange Online attributes mail only by an exactly accepted certificate domain.`,
    ]);
  });

  it("reports that a tenant's accepted domains are unknown when the tenant is missing", () => {
    const fixture = new InventoryFixture();
    fixture.tenants.splice(fixture.tenants.indexOf(fixture.tenant("tailspin")), 1);
    const [finding, ...rest] = fixture.findings(RULE);
    assert.deepEqual(rest, []);
    assert.equal(
      finding?.message,
      `'TlsSenderCertificateName' "relay.tailspin.com" cannot be checked: the accepted domains of tenant "tailspin.onmicrosoft.com" are not in the inventory.`,
    );
    assert.equal(finding?.severity, "mandatory");
  });

  it("does not check Partner connectors nor names that are unknown at preview", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").connectorType = "Partner";
    fixture.inbound("contoso").tlsSenderCertificateName = "mail.northwind.example";
    fixture.inbound("fabrikam").tlsSenderCertificateName = undefined;
    fixture.inbound("fabrikam").unknown = ["tlsSenderCertificateName"];
    assert.deepEqual(fixture.messages(RULE), []);
  });
});
