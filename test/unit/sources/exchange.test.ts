import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  addressSpaceText,
  assembleInventory,
  formatProblem,
  parseExchangeJson,
  readAcceptedDomains,
  readExchangeCertificates,
  readInboundConnectors,
  readSendConnectors,
} from "../../../policy/src/sources/exchange";

const FILE = "exports/contoso.onmicrosoft.com/InboundConnector.json";

describe("readInboundConnectors", () => {
  it("reads numeric and string enums, smtp:*;1 and single objects", () => {
    const numeric = readInboundConnectors(
      [
        {
          Name: "Inbound from 1",
          ConnectorType: 1,
          ConnectorSource: 2,
          SenderDomains: ["smtp:*;1"],
          TlsSenderCertificateName: "Mail.Contoso.com.",
        },
      ],
      FILE,
      "contoso.onmicrosoft.com",
    );
    const named = readInboundConnectors({ Name: "Partner", ConnectorType: "partner", RequireTls: "True" }, FILE, "contoso.onmicrosoft.com");
    assert.deepEqual(numeric.problems, []);
    assert.equal(numeric.items[0]?.connectorType, "OnPremises");
    assert.deepEqual(numeric.items[0]?.senderDomains, ["*"]);
    assert.equal(numeric.items[0]?.tlsSenderCertificateName, "mail.contoso.com");
    assert.equal(numeric.items[0]?.ref.source, FILE);
    assert.equal(named.items[0]?.connectorType, "Partner");
    assert.equal(named.items[0]?.requireTls, true);
  });

  it("names the file, record and field of an unknown enum value and a missing Name, and keeps the good records", () => {
    const result = readInboundConnectors(
      [{ Name: "Good", ConnectorType: "OnPremises" }, { Name: "Bad", ConnectorType: "Foo" }, { ConnectorType: 1 }],
      FILE,
      "contoso.onmicrosoft.com",
    );
    assert.deepEqual(result.problems.map(formatProblem), [
      `${FILE}: [1].ConnectorType: unknown value "Foo" (expected OnPremises or Partner)`,
      `${FILE}: [2].Name: is missing; every connector needs a Name`,
    ]);
    assert.deepEqual(
      result.items.map((c) => c.name),
      ["Good"],
    );
  });

  it("reads REST bodies and PowerShell IPRange objects", () => {
    const result = readInboundConnectors(
      {
        value: [
          {
            Name: "IP",
            ConnectorType: "OnPremises",
            SenderIPAddresses: [
              { LowerBound: "198.51.100.0", UpperBound: "198.51.100.255", CIDRLength: 24, RangeFormat: "CIDR" },
              "203.0.113.7",
            ],
          },
        ],
      },
      FILE,
      "contoso.onmicrosoft.com",
    );
    assert.deepEqual(result.items[0]?.senderIPAddresses, ["198.51.100.0/24", "203.0.113.7"]);
  });
});

describe("readAcceptedDomains", () => {
  it("takes the tenant from InitialDomain and reads SmtpDomain objects", () => {
    const result = readAcceptedDomains(
      [
        { DomainName: { Domain: "Contoso.com" }, DomainType: 0 },
        { DomainName: "contoso.onmicrosoft.com", DomainType: "Authoritative", InitialDomain: true },
      ],
      "AcceptedDomain.json",
    );
    assert.deepEqual(result.items[0], {
      name: "contoso.onmicrosoft.com",
      acceptedDomains: ["contoso.com", "contoso.onmicrosoft.com"],
      source: "AcceptedDomain.json",
    });
  });
});

describe("readSendConnectors and readExchangeCertificates", () => {
  const LE = "CN=R3, O=Let's Encrypt, C=US";
  const sends = readSendConnectors(
    [
      {
        Name: "Outbound to Office 365 - 1",
        AddressSpaces: ["smtp:contoso.mail.onmicrosoft.com;1"],
        SmartHosts: ["contoso-com.mail.protection.outlook.com"],
        DNSRoutingEnabled: false,
        RequireTLS: true,
        TlsAuthLevel: 4,
        TlsDomain: { Domain: "mail.protection.outlook.com" },
        TlsCertificateName: `<I>${LE}<S>CN=mail.contoso.com`,
        CloudServicesMailEnabled: true,
      },
      { Name: "Internet", AddressSpaces: [{ Address: "*", Type: "SMTP", Cost: 1 }], DNSRoutingEnabled: true },
    ],
    "SendConnector.json",
  );
  const certificates = readExchangeCertificates(
    [
      {
        Thumbprint: "5a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
        Subject: "CN=mail.contoso.com",
        Issuer: LE,
        CertificateDomains: [{ Domain: "mail.contoso.com" }, "EXCH01"],
        NotBefore: "/Date(1767225600000)/",
        NotAfter: { value: "/Date(1798761600000)/", DateTime: "Friday, January 1, 2027" },
      },
      { Subject: "CN=x", Issuer: "CN=x", NotBefore: "2026-01-01", NotAfter: "2027-01-01" },
    ],
    "ExchangeCertificate.json",
  );

  it("normalizes address spaces, smart hosts, TlsAuthLevel and dates", () => {
    assert.deepEqual(sends.problems, []);
    assert.equal(sends.items[0]?.tlsAuthLevel, "DomainValidation");
    assert.deepEqual(sends.items[0]?.addressSpaces, ["contoso.mail.onmicrosoft.com"]);
    assert.equal(addressSpaceText("SMTP:*;1"), "*");
    const cert = certificates.items[0];
    assert.equal(cert?.thumbprint, "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567");
    assert.deepEqual(cert?.dnsNames, ["mail.contoso.com"]);
    assert.equal(cert?.notAfter.toISOString(), "2027-01-01T00:00:00.000Z");
    assert.deepEqual(certificates.problems.map(formatProblem), [
      "ExchangeCertificate.json: [1].Thumbprint: is missing; export with Get-ExchangeCertificate | ConvertTo-Json -Depth 5",
    ]);
  });

  it("maps send connectors to tenants and links the certificate by <I>issuer<S>subject", () => {
    const tenant = { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "contoso.onmicrosoft.com"] };
    const { inventory, notes } = assembleInventory({
      tenants: [tenant],
      inboundConnectors: [],
      sendConnectors: sends.items,
      certificates: certificates.items,
    });
    assert.deepEqual(inventory.sendConnectors[0]?.tenants, ["contoso.onmicrosoft.com"]);
    assert.equal(inventory.sendConnectors[0]?.certificateThumbprint, "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567");
    assert.deepEqual(
      notes.skippedSendConnectors.map((c) => c.name),
      ["Internet"],
    );
  });
});

describe("parseExchangeJson", () => {
  it("reports a cut-off export as truncated", () => {
    const { problem } = parseExchangeJson('[{"Name": "a",', "x.json");
    assert.match(problem?.message ?? "", /^is not complete JSON .*the export was cut off/);
  });
  it("reads UTF-8 with a BOM", () => {
    assert.deepEqual(parseExchangeJson('\uFEFF{"Name":"a"}', "x.json").value, { Name: "a" });
  });
});
