import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture } from "../../support/inventory";

const RULE = "inbound-connector-settings";

function severities(fixture: InventoryFixture) {
  return fixture.findings(RULE).map((finding) => [finding.severity, finding.message]);
}

describe(RULE, () => {
  it("reports TreatMessagesAsInternal with CloudServicesMailEnabled (mandatory) and allows it without", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").treatMessagesAsInternal = true;
    assert.deepEqual(severities(fixture), [
      [
        "mandatory",
        `Inbound connector "contoso-inbound" sets 'TreatMessagesAsInternal' together with 'CloudServicesMailEnabled'; hybrid mail is already internal and the two must not be combined.`,
      ],
    ]);
    fixture.inbound("contoso").cloudServicesMailEnabled = false;
    assert.deepEqual(severities(fixture), []);
  });

  it("reports TreatMessagesAsInternal on a Partner connector", () => {
    const fixture = new InventoryFixture();
    Object.assign(fixture.inbound("fabrikam"), {
      connectorType: "Partner",
      treatMessagesAsInternal: true,
      cloudServicesMailEnabled: false,
    });
    assert.deepEqual(severities(fixture), [
      [
        "mandatory",
        `Partner inbound connector "fabrikam-inbound" sets 'TreatMessagesAsInternal', so mail from outside the organization is treated as internal.`,
      ],
    ]);
  });

  it("advises against a wildcard TlsSenderCertificateName, which the accepted-domain rule lets through", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").tlsSenderCertificateName = "*.Contoso.com";
    assert.deepEqual(severities(fixture), [
      [
        "advisory",
        `Inbound connector "contoso-inbound" has wildcard 'TlsSenderCertificateName' "*.contoso.com", which accepts a certificate for "contoso.com" and for any of its subdomains.`,
      ],
    ]);
    assert.deepEqual(fixture.messages("certificate-name-is-accepted-domain"), []);
  });

  it("advises that RestrictDomainsTo* has no effect on an OnPremises connector", () => {
    const fixture = new InventoryFixture();
    Object.assign(fixture.inbound("contoso"), { restrictDomainsToCertificate: true, restrictDomainsToIPAddresses: true });
    assert.deepEqual(severities(fixture), [
      [
        "advisory",
        `OnPremises inbound connector "contoso-inbound" sets 'RestrictDomainsToCertificate', which applies to Partner connectors only and has no effect here.`,
      ],
      [
        "advisory",
        `OnPremises inbound connector "contoso-inbound" sets 'RestrictDomainsToIPAddresses', which applies to Partner connectors only and has no effect here.`,
      ],
    ]);
  });
});
