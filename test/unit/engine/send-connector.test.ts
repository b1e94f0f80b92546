import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture, type SendInput } from "../../support/inventory";

describe("send-connector-per-tenant", () => {
  const RULE = "send-connector-per-tenant";

  it("reports a send connector routing to two tenants", () => {
    const fixture = new InventoryFixture();
    fixture.send("contoso").tenants = ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"];
    fixture.sendConnectors.splice(fixture.sendConnectors.indexOf(fixture.send("fabrikam")), 1);
    assert.deepEqual(fixture.messages(RULE), [
      `Send connector "contoso-send" routes to 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com". Each tenant needs its own Send Connector presenting its own certificate.`,
    ]);
  });

  it("reports a tenant path with no send connector of its own", () => {
    const fixture = new InventoryFixture();
    fixture.sendConnectors.splice(fixture.sendConnectors.indexOf(fixture.send("tailspin")), 1);
    const [finding, ...rest] = fixture.findings(RULE);
    assert.deepEqual(rest, []);
    assert.equal(
      finding?.message,
      `Tenant "tailspin.onmicrosoft.com" has OnPremises inbound connector "tailspin-inbound" but no Send Connector routes to it.`,
    );
    assert.equal(
      finding?.remediation,
      `Create a Send Connector for this tenant only: New-SendConnector -SmartHosts tailspin.mail.protection.outlook.com -AddressSpaces tailspin.mail.onmicrosoft.com -TlsCertificateName <this tenant's own certificate>.`,
    );
  });

  it("says nothing about missing send connectors when the inventory holds none (on-premises side unknown)", () => {
    const fixture = new InventoryFixture();
    fixture.sendConnectors.length = 0;
    assert.deepEqual(fixture.messages(RULE), []);
  });
});

describe("send-connector-tls", () => {
  const RULE = "send-connector-tls";
  const cases: [string, (send: SendInput) => void, string[]][] = [
    [
      "RequireTLS off",
      (s) => (s.requireTls = false),
      [
        `Send connector "contoso-send" has 'RequireTLS' false, so mail to Exchange Online may be sent without TLS and without its certificate.`,
      ],
    ],
    [
      "EncryptionOnly",
      (s) => (s.tlsAuthLevel = "EncryptionOnly"),
      [`Send connector "contoso-send" has 'TlsAuthLevel' "EncryptionOnly"; Exchange Online's certificate is not validated.`],
    ],
    [
      "DomainValidation of the wrong domain",
      (s) => (s.tlsDomain = "contoso.com"),
      [`Send connector "contoso-send" validates 'TlsDomain' "contoso.com" instead of "mail.protection.outlook.com".`],
    ],
    [
      "CertificateValidation",
      (s) => {
        s.tlsAuthLevel = "CertificateValidation";
        s.tlsDomain = undefined;
      },
      [],
    ],
    [
      "CloudServicesMailEnabled off",
      (s) => (s.cloudServicesMailEnabled = false),
      [
        `Send connector "contoso-send" has 'CloudServicesMailEnabled' false, so cross-premises headers are stripped and the tenant cannot treat the mail as hybrid.`,
      ],
    ],
    [
      "smart hosts with DNS routing",
      (s) => (s.dnsRoutingEnabled = true),
      [
        `Send connector "contoso-send" lists 'SmartHosts' but has 'DNSRoutingEnabled' true, so the smart hosts are ignored and mail follows MX records.`,
      ],
    ],
    [
      "no smart hosts without DNS routing",
      (s) => (s.smartHosts = []),
      [`Send connector "contoso-send" has 'DNSRoutingEnabled' false but no 'SmartHosts', so it cannot deliver.`],
    ],
    [
      "another tenant's smart host",
      (s) => (s.smartHosts = ["Fabrikam.mail.protection.outlook.com."]),
      [
        `Send connector "contoso-send" has smart host "Fabrikam.mail.protection.outlook.com.", which is not Exchange Online's host for tenant "contoso.onmicrosoft.com" (expected contoso.mail.protection.outlook.com).`,
      ],
    ],
    ["the MX host of an accepted domain", (s) => (s.smartHosts = ["contoso-com.mail.protection.outlook.com"]), []],
    [
      "another tenant's address space",
      (s) => (s.addressSpaces = ["SMTP:contoso.com;1", "fabrikam.com"]),
      [
        `Send connector "contoso-send" has address space "fabrikam.com", which is neither the routing domain nor an accepted domain of tenant "contoso.onmicrosoft.com".`,
      ],
    ],
    // HealthChecker's GetSendConnectorConfiguredToRelayToM365.xml: smtp:*;1 to the tenant's own smart host,
    // CertificateValidation, no TlsDomain — a documented way to send internet mail through Microsoft 365.
    [
      "internet mail relayed through Microsoft 365 (address space * to the tenant's own smart host)",
      (s) => {
        s.addressSpaces = ["smtp:*;1"];
        s.smartHosts = ["contoso-com.mail.protection.outlook.com"];
        s.tlsAuthLevel = "CertificateValidation";
        s.tlsDomain = undefined;
      },
      [],
    ],
    [
      "address space * to another tenant's smart host",
      (s) => {
        s.addressSpaces = ["smtp:*;1"];
        s.smartHosts = ["fabrikam.mail.protection.outlook.com"];
      },
      [
        `Send connector "contoso-send" has smart host "fabrikam.mail.protection.outlook.com", which is not Exchange Online's host for tenant "contoso.onmicrosoft.com" (expected contoso.mail.protection.outlook.com).`,
        `Send connector "contoso-send" has address space "smtp:*;1" but its smart hosts are not all Exchange Online's hosts for tenant "contoso.onmicrosoft.com", so it sends all internet mail somewhere else.`,
      ],
    ],
  ];
  for (const [name, change, expected] of cases) {
    it(`${expected.length === 0 ? "accepts" : "reports"} ${name}`, () => {
      const fixture = new InventoryFixture();
      change(fixture.send("contoso"));
      assert.deepEqual(fixture.messages(RULE), expected);
    });
  }

  it("names the exact cmdlet parameter in the remediation", () => {
    const fixture = new InventoryFixture();
    fixture.send("contoso").requireTls = false;
    assert.equal(fixture.findings(RULE)[0]?.remediation, `Set-SendConnector "contoso-send" -RequireTLS $true.`);
  });
});

describe("clouds: every Microsoft host from the one table (policy/src/engine/clouds.ts)", () => {
  const RULE = "send-connector-tls";
  /** A fixture whose contoso tenant lives in GCC High, its Send Connector built as HCW builds it there. */
  function gccHigh(): InventoryFixture {
    const fixture = new InventoryFixture(["contoso"]);
    const tenant = fixture.tenant("contoso");
    tenant.name = "contoso.onmicrosoft.us";
    tenant.acceptedDomains = ["contoso.com", "relay.contoso.com", "contoso.onmicrosoft.us"];
    fixture.inbound("contoso").tenant = "contoso.onmicrosoft.us";
    fixture.certificate("contoso").tenant = "contoso.onmicrosoft.us";
    const send = fixture.send("contoso");
    send.tenants = ["contoso.onmicrosoft.us"];
    send.smartHosts = ["contoso.mail.protection.office365.us"];
    send.addressSpaces = ["contoso.mail.onmicrosoft.us"];
    send.tlsDomain = "mail.protection.office365.us";
    return fixture;
  }

  it("accepts a GCC High tenant's Send Connector built with GCC High's hosts", () => {
    assert.deepEqual(gccHigh().messages(), []);
  });

  it("reports a GCC High tenant's Send Connector that validates the worldwide TLS domain, naming GCC High's", () => {
    const fixture = gccHigh();
    fixture.send("contoso").tlsDomain = "mail.protection.outlook.com";
    assert.deepEqual(fixture.messages(RULE), [
      `Send connector "contoso-send" validates 'TlsDomain' "mail.protection.outlook.com" instead of "mail.protection.office365.us".`,
    ]);
  });

  it("reports a GCC High tenant's Send Connector pointed at the worldwide smart host", () => {
    const fixture = gccHigh();
    fixture.send("contoso").smartHosts = ["contoso.mail.protection.outlook.com"];
    assert.deepEqual(fixture.messages(RULE), [
      `Send connector "contoso-send" has smart host "contoso.mail.protection.outlook.com", which is not Exchange Online's host for tenant "contoso.onmicrosoft.us" (expected contoso.mail.protection.office365.us).`,
    ]);
  });

  it("accepts the DNSSEC MX host of an accepted domain (*.mx.microsoft, MC1048624) as the tenant's smart host", () => {
    const fixture = new InventoryFixture();
    fixture.send("contoso").smartHosts = ["contoso-com.j-v1.mx.microsoft"];
    assert.deepEqual(fixture.messages(RULE), []);
    fixture.send("contoso").smartHosts = ["fabrikam-com.j-v1.mx.microsoft"];
    assert.deepEqual(fixture.messages(RULE), [
      `Send connector "contoso-send" has smart host "fabrikam-com.j-v1.mx.microsoft", which is not Exchange Online's host for tenant "contoso.onmicrosoft.com" (expected contoso.mail.protection.outlook.com).`,
    ]);
  });
});
