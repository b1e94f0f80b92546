import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture } from "../../support/inventory";

const RULE = "add-on-relay-per-customer-certificate";

function withAddOn(fixture: InventoryFixture, prefix: string, certificateName: string | undefined): void {
  fixture.inboundConnectors.push({
    ref: { kind: "inboundConnector", name: `${prefix}-signatures` },
    name: `${prefix}-signatures`,
    tenant: `${prefix}.onmicrosoft.com`,
    connectorType: "OnPremises",
    addOnService: "Vendor Signatures",
    tlsSenderCertificateName: certificateName,
    restrictDomainsToCertificate: true,
    cloudServicesMailEnabled: true,
    requireTls: true,
    senderIPAddresses: [],
    unknown: [],
  });
}

describe(RULE, () => {
  it("accepts a per-customer certificate name that is an accepted domain of the tenant", () => {
    const fixture = new InventoryFixture();
    withAddOn(fixture, "contoso", "s5hg3dcg.smtp.vendor.example");
    fixture.tenant("contoso").acceptedDomains?.push("s5hg3dcg.smtp.vendor.example");
    assert.deepEqual(fixture.findings(), []);
  });

  it("reports the vendor's shared domain used by two customers: not accepted (here) and shared (reuse rule, once)", () => {
    const fixture = new InventoryFixture();
    withAddOn(fixture, "contoso", "smtp.vendor.example");
    withAddOn(fixture, "fabrikam", "smtp.vendor.example");
    const findings = fixture.findings();
    assert.deepEqual(
      findings.map((finding) => [finding.ruleId, finding.message]),
      [
        [
          "certificate-not-shared-across-tenants",
          `Certificate name "smtp.vendor.example" is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com". Exchange Online attributes mail by certificate domain, so it cannot tell these tenants apart.`,
        ],
        [
          RULE,
          `'TlsSenderCertificateName' "smtp.vendor.example" is not an accepted domain of tenant "contoso.onmicrosoft.com" (accepted: contoso.com, contoso.onmicrosoft.com, relay.contoso.com).`,
        ],
        [
          RULE,
          `'TlsSenderCertificateName' "smtp.vendor.example" is not an accepted domain of tenant "fabrikam.onmicrosoft.com" (accepted: fabrikam.com, fabrikam.onmicrosoft.com, relay.fabrikam.com).`,
        ],
      ],
    );
    assert.equal(
      findings[1]?.remediation,
      `Add it with New-AcceptedDomain -DomainName smtp.vendor.example (verified in tenant "contoso.onmicrosoft.com") or ask Vendor Signatures for a certificate issued for this customer whose name you can add as an accepted domain, and set TlsSenderCertificateName (Set-InboundConnector) to it.`,
    );
  });

  it("requires a certificate name (mandatory)", () => {
    const fixture = new InventoryFixture();
    withAddOn(fixture, "contoso", undefined);
    assert.deepEqual(
      fixture.findings(RULE).map((f) => [f.severity, f.message]),
      [
        [
          "mandatory",
          `Add-on connector "contoso-signatures" for "Vendor Signatures" sets no 'TlsSenderCertificateName', so the service is not identified by a per-customer certificate.`,
        ],
      ],
    );
  });

  it("advises RestrictDomainsToCertificate and CloudServicesMailEnabled $true as Microsoft's add-on scenario sets them (advisory, not mandatory)", () => {
    const fixture = new InventoryFixture();
    withAddOn(fixture, "contoso", "s5hg3dcg.smtp.vendor.example");
    fixture.tenant("contoso").acceptedDomains?.push("s5hg3dcg.smtp.vendor.example");
    const addOn = fixture.inboundConnectors.at(-1);
    if (addOn) {
      addOn.restrictDomainsToCertificate = false;
      addOn.cloudServicesMailEnabled = false;
    }
    assert.deepEqual(
      fixture.findings(RULE).map((f) => [f.severity, f.message, f.remediation]),
      [
        [
          "advisory",
          `Add-on connector "contoso-signatures" for "Vendor Signatures" has 'RestrictDomainsToCertificate' false; Microsoft's add-on scenario sets it so that mail presenting the certificate cannot claim just any sender domain (the cmdlet reference documents it for Partner connectors).`,
          `Set-InboundConnector "contoso-signatures" -RestrictDomainsToCertificate $true (as in "Integrate Exchange Online with an email add-on service").`,
        ],
        [
          "advisory",
          `Add-on connector "contoso-signatures" for "Vendor Signatures" has 'CloudServicesMailEnabled' false; Microsoft's add-on scenario sets it $true on both of the service's connectors, so the organization's cross-premises headers survive the round trip.`,
          `Set-InboundConnector "contoso-signatures" -CloudServicesMailEnabled $true (as in "Integrate Exchange Online with an email add-on service").`,
        ],
      ],
    );
  });
});
