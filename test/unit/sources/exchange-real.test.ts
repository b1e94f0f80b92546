import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { evaluate } from "../../../policy/src/engine/evaluate";
import {
  assembleInventory,
  decodeExportText,
  EXCHANGE_ENUMS,
  parseExchangeJson,
  readAcceptedDomains,
  readExchangeCertificates,
  readInboundConnectors,
  readSendConnectors,
} from "../../../policy/src/sources/exchange";

// Fixtures live in the source tree (test/fixtures/exchange-real, see its README); tests run from dist.
const REAL = join(__dirname, "..", "..", "..", "..", "test", "fixtures", "exchange-real");
const TENANT = "contoso.onmicrosoft.com";

function load(path: string): unknown {
  const parsed = parseExchangeJson(decodeExportText(readFileSync(join(REAL, path))), path);
  assert.equal(parsed.problem, undefined);
  return parsed.value;
}

describe("Exchange's own enum numbers", () => {
  it("reads ConnectorType 1 as OnPremises and 2 as Partner (Microsoft.Exchange.Data.TenantConnectorType)", () => {
    assert.deepEqual(EXCHANGE_ENUMS.ConnectorType, { 1: "OnPremises", 2: "Partner" });
    const result = readInboundConnectors(load(`ps51-redirect/${TENANT}/InboundConnector.json`), "InboundConnector.json", TENANT);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(
      result.items.map((c) => [c.name, c.connectorType]),
      [
        ["Inbound from on-premises", "OnPremises"],
        ["Partner gateway", "Partner"],
      ],
    );
  });

  it("keeps TlsAuthLevel (EncryptionOnly 1, CertificateValidation 2, DomainValidation 4) and AcceptedDomainType as they are", () => {
    assert.deepEqual(EXCHANGE_ENUMS.TlsAuthLevel, { 1: "EncryptionOnly", 2: "CertificateValidation", 4: "DomainValidation" });
    assert.deepEqual(EXCHANGE_ENUMS.DomainType, { 0: "Authoritative", 1: "ExternalRelay", 2: "InternalRelay" });
    const sends = readSendConnectors(load("ps51/_onprem/SendConnector.json"), "SendConnector.json");
    assert.deepEqual(
      sends.items.map((c) => c.tlsAuthLevel),
      ["DomainValidation", "CertificateValidation"],
    );
  });
});

describe("export encodings", () => {
  const json = '[{"Name":"a"}]';
  it("decodes UTF-8 with and without a BOM, UTF-16LE and UTF-16BE with a BOM, and UTF-16LE without one", () => {
    const utf16be = Buffer.from(json, "utf16le").swap16();
    for (const bytes of [
      Buffer.from(json, "utf8"),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json, "utf8")]),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, "utf16le")]),
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be]),
      Buffer.from(json, "utf16le"),
    ]) {
      assert.equal(decodeExportText(bytes), json);
    }
  });

  it("reads the UTF-8-with-BOM single-object export of Windows PowerShell 5.1 and the UTF-16 '> file' export", () => {
    const single = readInboundConnectors(load(`ps51/${TENANT}/InboundConnector.json`), "InboundConnector.json", TENANT);
    assert.deepEqual(
      single.items.map((c) => [c.name, c.connectorType, c.tlsSenderCertificateName]),
      [["Inbound from 3f2a9c4e-1b7d-4e0a-9c55-2d8e6b1f7a10", "OnPremises", "mail.contoso.com"]],
    );
    const tenant = readAcceptedDomains(load(`ps51-redirect/${TENANT}/AcceptedDomain.json`), "AcceptedDomain.json", TENANT);
    assert.deepEqual(tenant.items[0]?.acceptedDomains, ["contoso.com", "contoso.onmicrosoft.com"]);
  });
});

describe("Get-ExchangeCertificate CertificateDomains (SmtpDomainWithSubdomains)", () => {
  it("keeps a wildcard entry as its Address *.contoso.com, not its Domain contoso.com", () => {
    for (const path of ["ps51/_onprem/ExchangeCertificate.json", "ps7/_onprem/ExchangeCertificate.json"]) {
      const result = readExchangeCertificates(load(path), path);
      assert.deepEqual(result.problems, []);
      assert.deepEqual(result.items[0]?.dnsNames, ["mail.contoso.com", "*.contoso.com"], path);
    }
  });

  it("reads the PowerShell 7 export's ISO dates", () => {
    const result = readExchangeCertificates(load("ps7/_onprem/ExchangeCertificate.json"), "x");
    assert.equal(result.items[0]?.notAfter.toISOString(), "2027-01-01T00:00:00.000Z");
  });
});

describe("a Windows PowerShell 5.1 hybrid export, end to end", () => {
  it("finds the HCW OnPremises connector's certificate name and nothing about the relay-to-Microsoft-365 connector", () => {
    const tenant = readAcceptedDomains(load(`ps51/${TENANT}/AcceptedDomain.json`), "AcceptedDomain.json", TENANT).items;
    const inbound = readInboundConnectors(load(`ps51/${TENANT}/InboundConnector.json`), "InboundConnector.json", TENANT).items;
    const sends = readSendConnectors(load("ps51/_onprem/SendConnector.json"), "SendConnector.json").items;
    const certificates = readExchangeCertificates(load("ps51/_onprem/ExchangeCertificate.json"), "ExchangeCertificate.json").items;
    const { inventory } = assembleInventory({ tenants: tenant, inboundConnectors: inbound, sendConnectors: sends, certificates });
    const findings = evaluate(inventory, { now: "2026-06-01" });
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.severity, f.resource.name]),
      [["certificate-name-is-accepted-domain", "mandatory", "Inbound from 3f2a9c4e-1b7d-4e0a-9c55-2d8e6b1f7a10"]],
    );
  });
});

describe("send connectors to Microsoft's newer MX hosts and other clouds", () => {
  const tenants = [
    { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "contoso.onmicrosoft.com"] },
    { name: "fabrikam.onmicrosoft.us", acceptedDomains: ["fabrikam.com", "fabrikam.onmicrosoft.us"] },
  ];
  const sends = readSendConnectors(
    [
      {
        Name: "DNSSEC MX",
        AddressSpaces: ["smtp:contoso.mail.onmicrosoft.com;1"],
        SmartHosts: ["contoso-com.j-v1.mx.microsoft"],
        DNSRoutingEnabled: false,
      },
      {
        Name: "GCC High",
        AddressSpaces: ["smtp:fabrikam.mail.onmicrosoft.us;1"],
        SmartHosts: ["fabrikam-com.mail.protection.office365.us"],
        DNSRoutingEnabled: false,
      },
      { Name: "GCC High by routing domain", AddressSpaces: ["smtp:fabrikam.mail.onmicrosoft.us;1"], DNSRoutingEnabled: true },
    ],
    "SendConnector.json",
  ).items;

  it("maps a *.mx.microsoft smart host (MC1048624) and GCC High hosts to their tenants instead of skipping them", () => {
    const { inventory, notes } = assembleInventory({ tenants, inboundConnectors: [], sendConnectors: sends, certificates: [] });
    assert.deepEqual(
      inventory.sendConnectors.map((c) => [c.name, c.tenants]),
      [
        ["DNSSEC MX", ["contoso.onmicrosoft.com"]],
        ["GCC High", ["fabrikam.onmicrosoft.us"]],
        ["GCC High by routing domain", ["fabrikam.onmicrosoft.us"]],
      ],
    );
    assert.deepEqual(notes.skippedSendConnectors, []);
  });
});

describe("TlsCertificateName compared in Windows' form", () => {
  it("links a Send Connector to the exported certificate whose Windows subject has a quoted comma and S=", () => {
    const issuer =
      'CN=Go Daddy Secure Certificate Authority - G2, OU=http://certs.godaddy.com/repository/, O="GoDaddy.com, Inc.", L=Scottsdale, S=Arizona, C=US';
    const subject = 'CN=mail.contoso.com, O="Contoso, Ltd.", S=Washington, C=US';
    const certificates = readExchangeCertificates(
      [
        {
          Thumbprint: "1D3E5A7C9B2F4D6E8A0C1B3D5F7E9A2C4B6D8F01",
          Subject: subject,
          Issuer: issuer,
          NotBefore: "/Date(1767225600000)/",
          NotAfter: "/Date(1798761600000)/",
          CertificateDomains: [{ Address: "mail.contoso.com", Domain: "mail.contoso.com" }],
        },
      ],
      "ExchangeCertificate.json",
    ).items;
    const sends = readSendConnectors(
      [
        {
          Name: "Outbound to Office 365",
          AddressSpaces: ["smtp:contoso.mail.onmicrosoft.com;1"],
          SmartHosts: ["contoso-com.mail.protection.outlook.com"],
          DNSRoutingEnabled: false,
          TlsCertificateName: { CertificateIssuer: issuer, CertificateSubject: subject, SubjectCommonName: "mail.contoso.com" },
        },
      ],
      "SendConnector.json",
    ).items;
    const tenants = [{ name: TENANT, acceptedDomains: ["contoso.com", TENANT] }];
    const { inventory } = assembleInventory({ tenants, inboundConnectors: [], sendConnectors: sends, certificates });
    assert.equal(inventory.sendConnectors[0]?.certificateThumbprint, "1D3E5A7C9B2F4D6E8A0C1B3D5F7E9A2C4B6D8F01");
  });
});
