import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseCliXml } from "../../../cli/exports/clixml";
import { nodeFs, readExportFile } from "../../../cli/exports/files";
import {
  decodeExportBytes,
  readExchangeCertificates,
  readInboundConnectors,
  readSendConnectors,
} from "../../../policy/src/sources/exchange";

const ROOT = join(__dirname, "..", "..", "..", "..");
const MIXED = join(ROOT, "test", "fixtures", "clixml", "mixed");
const NS = 'xmlns="http://schemas.microsoft.com/powershell/2004/04"';
const objs = (body: string) => `<Objs Version="1.1.0.1" ${NS}>${body}</Objs>`;
const parse = (body: string) => parseCliXml(objs(body), { maxDepth: 100 });

describe("Export-Clixml (MS-PSRP 2.2.5)", () => {
  it("reads primitives, Nil, _xHHHH_ escapes and property names from Props and MS", () => {
    const { records, problems } = parse(
      '<Obj RefId="0"><TN RefId="0"><T>Deserialized.X</T><T>Deserialized.System.Object</T></TN><Props><S N="Name">a_x000A_b</S><B N="On">true</B><I32 N="N">-7</I32><I64 N="Big">9007199254740993</I64><Db N="D">1.5</Db><Nil N="None" /><DT N="When">2026-02-28T00:00:00Z</DT><C N="Ch">65</C></Props><MS><S N="PSComputerName">exch01</S></MS></Obj>',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(records, [
      {
        PSComputerName: "exch01",
        Name: "a\nb",
        On: true,
        N: -7,
        Big: "9007199254740993",
        D: 1.5,
        None: null,
        When: "2026-02-28T00:00:00Z",
        Ch: "A",
      },
    ]);
  });

  it("strips Deserialized. from type names and resolves TNRef per file", () => {
    const { typeNames, problems } = parse(
      '<Obj RefId="0"><TN RefId="0"><T>Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.TenantInboundConnector</T><T>Deserialized.System.Object</T></TN><Props /></Obj><Obj RefId="1"><TNRef RefId="0" /><Props /></Obj>',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(typeNames, [
      ["Microsoft.Exchange.Data.Directory.SystemConfiguration.TenantInboundConnector", "System.Object"],
      ["Microsoft.Exchange.Data.Directory.SystemConfiguration.TenantInboundConnector", "System.Object"],
    ]);
  });

  it("reads an enum as its name (ToString), a MultiValuedProperty as a list, and resolves <Ref>", () => {
    const { records, problems } = parse(
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><Obj N="ConnectorType" RefId="1"><TN RefId="1"><T>Microsoft.Exchange.Data.TenantConnectorType</T><T>System.Enum</T></TN><ToString>OnPremises</ToString><I32>1</I32></Obj><Obj N="SenderIPAddresses" RefId="2"><TN RefId="2"><T>Microsoft.Exchange.Data.MultiValuedProperty`1[[Microsoft.Exchange.Data.IPRange]]</T></TN><LST><S>198.51.100.7</S><S>198.51.100.0/24</S></LST></Obj></Props></Obj><Obj RefId="3"><TNRef RefId="0" /><Props><Ref N="ConnectorType" RefId="1" /><Ref N="SenderIPAddresses" RefId="2" /></Props></Obj>',
    );
    assert.deepEqual(problems, []);
    const ips = ["198.51.100.7", "198.51.100.0/24"];
    assert.deepEqual(records, [
      { ConnectorType: "OnPremises", SenderIPAddresses: ips },
      { ConnectorType: "OnPremises", SenderIPAddresses: ips },
    ]);
  });

  it("reads an enum without a name by its value, and a DCT as an object", () => {
    const { records } = parse(
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><Obj N="T" RefId="1"><TN RefId="1"><T>E</T><T>System.Enum</T></TN><I32>4</I32></Obj><Obj N="H" RefId="2"><TN RefId="2"><T>System.Collections.Hashtable</T></TN><DCT><En><S N="Key">a</S><I32 N="Value">1</I32></En></DCT></Obj></Props></Obj>',
    );
    assert.deepEqual(records, [{ T: 4, H: { a: 1 } }]);
  });

  it("keeps the ToString of an object serialized beyond -Depth", () => {
    const { records } = parse(
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><Obj N="TlsCertificateName" RefId="1"><TN RefId="1"><T>Microsoft.Exchange.Data.SmtpX509Identifier</T></TN><ToString>&lt;I&gt;CN=CA&lt;S&gt;CN=relay.contoso.com</ToString></Obj></Props></Obj>',
    );
    assert.deepEqual(records, [{ TlsCertificateName: "<I>CN=CA<S>CN=relay.contoso.com" }]);
  });

  const bad: [string, string, string][] = [
    [
      "an element PSRP does not define",
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><Foo N="Name">x</Foo></Props></Obj>',
      "[0].Name: <Foo> is not an MS-PSRP 2.2.5 value element (line 1)",
    ],
    [
      "a <Ref> to no earlier object",
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><Ref N="A" RefId="9" /></Props></Obj>',
      '[0].A: <Ref RefId="9"> names no object given earlier in the file (line 1)',
    ],
    [
      "a <Ref> to the object that contains it",
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><Ref N="Self" RefId="0" /></Props></Obj>',
      '[0].Self: <Ref RefId="0"> points at the object that contains it (line 1)',
    ],
    [
      "a <TNRef> to no earlier type list",
      '<Obj RefId="0"><TNRef RefId="4" /><Props /></Obj>',
      '[0]: <TNRef RefId="4"> names no type list given earlier in the file (line 1)',
    ],
    [
      "a SecureString",
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><SS N="Password">AAAA</SS></Props></Obj>',
      "[0].Password: is a SecureString (<SS>), which is not read (line 1)",
    ],
    [
      "a boolean that is not one",
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><B N="Enabled">yes</B></Props></Obj>',
      '[0].Enabled: <B> "yes" is not true or false (line 1)',
    ],
    [
      "an integer that is not one",
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><I32 N="Cost">one</I32></Props></Obj>',
      '[0].Cost: <I32> "one" is not an integer (line 1)',
    ],
    [
      "a property without a name",
      '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><S>x</S></Props></Obj>',
      "[0].Props[0]: <S> in <Props> has no N (property name) (line 1)",
    ],
  ];
  for (const [what, body, problem] of bad) {
    it(`names ${what} by record and property`, () => {
      const { problems } = parse(body);
      assert.deepEqual(
        problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)),
        [problem],
      );
    });
  }

  it("refuses XML that is not well-formed, and entity declarations, as one problem for the file", () => {
    const broken = parseCliXml(objs("<Obj><Props>"), { maxDepth: 100 });
    assert.equal(broken.problems.length, 1);
    assert.match(broken.problems[0]?.message ?? "", /^is not well-formed XML \(.*\)\. Export it again with Export-Clixml\.$/);
    const laughs = parseCliXml(`<?xml version="1.0"?><!DOCTYPE Objs [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>${objs("<S>&b;</S>")}`, {
      maxDepth: 100,
    });
    assert.equal(laughs.records.length, 0);
    assert.match(laughs.problems[0]?.message ?? "", /^is not well-formed XML/);
  });

  it("refuses a root that is not <Objs> or another namespace", () => {
    assert.deepEqual(parseCliXml("<Root/>", { maxDepth: 100 }).problems, [
      { path: "", message: "has root element <Root>, not <Objs> (not an Export-Clixml file)" },
    ]);
    assert.match(parseCliXml('<Objs xmlns="urn:other"/>', { maxDepth: 100 }).problems[0]?.message ?? "", /^has namespace "urn:other"/);
  });

  it("reads UTF-16LE with a BOM (Windows PowerShell 5.1) and UTF-8 with a BOM the same", () => {
    const text = readFileSync(join(MIXED, "fabrikam.onmicrosoft.com", "InboundConnector.xml"), "utf8");
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
    ]) {
      const decoded = decodeExportBytes(bytes);
      assert.ok("text" in decoded);
      const { records, problems } = parseCliXml(decoded.text, { maxDepth: 100 });
      assert.deepEqual(problems, []);
      assert.equal(records.length, 2);
    }
  });
});

describe("CliXml records through the Exchange normalizer", () => {
  const read = (file: string) => {
    const result = readExportFile(join(MIXED, file), file, nodeFs);
    assert.equal(result.type, "records", JSON.stringify(result));
    return result as Extract<typeof result, { type: "records" }>;
  };

  it("recognizes each file by its type names, whatever it is called", () => {
    assert.equal(read("_onprem/Get-SendConnector.xml").kind, "sendConnectors");
    assert.equal(read("_onprem/ExchangeCertificate.xml").kind, "certificates");
    assert.equal(read("fabrikam.onmicrosoft.com/InboundConnector.xml").kind, "inboundConnectors");
    assert.equal(read("fabrikam.onmicrosoft.com/AcceptedDomain.xml").kind, "acceptedDomains");
  });

  it("reads send connectors: AddressSpace and SmartHost objects, the TlsAuthLevel enum, SmtpX509Identifier, shared <Ref>s", () => {
    const file = read("_onprem/Get-SendConnector.xml");
    const { items, problems } = readSendConnectors(file.value, "SendConnector.xml");
    assert.deepEqual(problems, []);
    assert.deepEqual(
      items.map((c) => ({
        name: c.name,
        spaces: c.addressSpaces,
        hosts: c.smartHosts,
        level: c.tlsAuthLevel,
        tls: c.tlsCertificateName,
        servers: c.sourceTransportServers,
        dns: c.dnsRoutingEnabled,
      })),
      [
        {
          name: "Outbound to Office 365 - contoso",
          spaces: ["contoso.mail.onmicrosoft.com"],
          hosts: ["contoso.mail.protection.outlook.com"],
          level: "DomainValidation",
          tls: "<I>CN=relay.contoso.com, O=Contoso, C=US<S>CN=relay.contoso.com, O=Contoso, C=US",
          servers: ["EXCH01"],
          dns: false,
        },
        { name: "Internet", spaces: ["*"], hosts: [], level: undefined, tls: undefined, servers: ["EXCH01"], dns: true },
      ],
    );
  });

  it("reads inbound connectors with the TenantConnectorType enum and Enabled false", () => {
    const file = read("fabrikam.onmicrosoft.com/InboundConnector.xml");
    const { items, problems } = readInboundConnectors(file.value, "InboundConnector.xml", "fabrikam.onmicrosoft.com");
    assert.deepEqual(problems, []);
    assert.deepEqual(
      items.map((c) => [c.name, c.connectorType, c.enabled, c.senderIPAddresses, c.tlsSenderCertificateName]),
      [
        ["Inbound from fabrikam on-premises", "OnPremises", true, [], "relay.fabrikam.com"],
        ["Old relay by IP", "OnPremises", false, ["198.51.100.25"], undefined],
      ],
    );
  });

  it("takes certificates from RawData: thumbprint is the SHA-1 of the DER, names and dates from the certificate itself", () => {
    const file = read("_onprem/ExchangeCertificate.xml");
    const { items, problems } = readExchangeCertificates(file.value, "ExchangeCertificate.xml");
    assert.deepEqual(problems, []);
    const ders = (file.value as { RawData: Buffer }[]).map((r) => r.RawData);
    assert.deepEqual(
      items.map((c) => c.thumbprint),
      ders.map((der) => createHash("sha1").update(der).digest("hex").toUpperCase()),
    );
    const x509 = new X509Certificate(ders[2] as Buffer);
    assert.deepEqual(
      { subject: items[2]?.subject, dnsNames: items[2]?.dnsNames, notAfter: items[2]?.notAfter.toISOString() },
      {
        subject: "CN=relay.fabrikam.com, O=Fabrikam, C=US",
        dnsNames: ["relay.fabrikam.com", "*.contoso.com"],
        notAfter: new Date(x509.validTo).toISOString(),
      },
    );
    assert.equal(items[1]?.commonName, undefined, "a CN that is not a host name covers nothing");
  });

  it("names RawData that is not a certificate, and a stated Thumbprint that disagrees with it", () => {
    const der = (read("_onprem/ExchangeCertificate.xml").value as { RawData: Buffer }[])[0]?.RawData as Buffer;
    const sha1 = createHash("sha1").update(der).digest("hex").toUpperCase();
    const { items, problems } = readExchangeCertificates(
      [{ RawData: Buffer.from("not a certificate") }, { RawData: der, Thumbprint: "00".repeat(20) }],
      "c.xml",
    );
    assert.equal(items.length, 0);
    assert.equal(problems[0]?.path, "[0].RawData");
    assert.match(problems[0]?.message ?? "", /^is not an X\.509 certificate/);
    assert.deepEqual(problems[1], {
      file: "c.xml",
      path: "[1].Thumbprint",
      message: `"${"00".repeat(20)}" does not match the certificate in RawData (SHA-1 of its DER: ${sha1}); the export is inconsistent. Export it again.`,
    });
  });

  it("names a file of another cmdlet by its type", () => {
    const dir = mkdtempSync(join(tmpdir(), "mfg-clixml-"));
    const path = join(dir, "x.xml");
    writeFileSync(
      path,
      objs(
        '<Obj RefId="0"><TN RefId="0"><T>Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector</T></TN><Props><S N="Name">Default Frontend</S></Props></Obj>',
      ),
    );
    const result = readExportFile(path, "x.xml", nodeFs);
    assert.deepEqual(result, {
      type: "notRead",
      reason: "not Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output",
      problem:
        "x.xml: holds Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector, which is not Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output; the audit does not read it. Remove it from the export folder or pass only the folders to audit.",
    });
  });
});
