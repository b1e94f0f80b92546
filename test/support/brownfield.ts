import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ExchangeOnlineClient, StaticTokenProvider } from "../../components/exo/client";
import type { FakeSendConnector, FakeShellState } from "../../local-exchange-online/fake-exchange-shell";
import { parseCertificatePem } from "../../policy/src/engine";
import { makeCertificatePem } from "./certs";

/**
 * The brownfield estate of issue 12, in the stand-ins (Local Exchange Online and the stand-in
 * Exchange Management Shell), for the `plan` end-to-end test and the demo's last act:
 * - adatum and litware share one IP-only setup: one Send Connector to both, the same sender IP on
 *   both tenants' OnPremises connectors;
 * - contoso and fabrikam share a certificate: one Send Connector to both presents one multi-SAN
 *   certificate carrying both tenants' relay names.
 */
export const BROWNFIELD_IP = "203.0.113.25";
export const BROWNFIELD_TENANTS: Record<string, { acceptedDomains: string[] }> = Object.fromEntries(
  ["adatum", "litware", "contoso", "fabrikam"].map((p) => [
    `${p}.onmicrosoft.com`,
    { acceptedDomains: [`${p}.com`, `relay.${p}.com`, `${p}.onmicrosoft.com`] },
  ]),
);

/** A Get-ExchangeCertificate record, as the on-premises export holds it, for a public PEM. */
/**
 * The migrated organization, as both ways of applying the plan must leave it: each tenant's own
 * Send Connector (the shared ones narrowed and renamed) with its address space, and one
 * certificate-based OnPremises inbound connector per tenant without sender IPs.
 */
export const HEALTHY_SEND_CONNECTORS: [string, string[]][] = Object.keys(BROWNFIELD_TENANTS)
  .map((tenant) => {
    const short = tenant.split(".")[0] as string;
    return [`Outbound to ${tenant}`, [`SMTP:${short}.mail.onmicrosoft.com;1`]] as [string, string[]];
  })
  .sort();

/** Fails unless every tenant has its own Send Connector (HEALTHY_SEND_CONNECTORS) and no other. */
export function assertOwnSendConnectors(estate: BrownfieldEstate): void {
  assert.deepEqual(
    estate
      .sendConnectors()
      .map((c) => [c.Name, c.AddressSpaces])
      .sort(),
    HEALTHY_SEND_CONNECTORS,
  );
}

/** Fails unless the estate is the healthy target (own Send Connectors, one certificate-based connector per tenant). */
export function assertHealthyOrganization(
  estate: BrownfieldEstate,
  inboundOf: (tenant: string) => { ConnectorType: string; TlsSenderCertificateName: string | null; SenderIPAddresses: string[] }[],
): void {
  assertOwnSendConnectors(estate);
  for (const tenant of Object.keys(BROWNFIELD_TENANTS)) {
    assert.deepEqual(
      inboundOf(tenant).map((c) => [c.ConnectorType, c.TlsSenderCertificateName, c.SenderIPAddresses]),
      [["OnPremises", `relay.${tenant.split(".")[0]}.com`, []]],
      tenant,
    );
  }
}

export function exchangeCertificateRecord(pem: string) {
  const facts = parseCertificatePem(pem, "certificate");
  return {
    Thumbprint: facts.thumbprint,
    Subject: facts.subject,
    Issuer: facts.issuer,
    CertificateDomains: facts.dnsNames,
    NotBefore: facts.notBefore.toISOString(),
    NotAfter: facts.notAfter.toISOString(),
    Services: "SMTP",
  };
}

function sendConnector(name: string, prefixes: string[], tlsCertificateName: string | null): FakeSendConnector {
  return {
    Identity: name,
    Name: name,
    Guid: randomUUID(),
    Enabled: true,
    AddressSpaces: prefixes.map((p) => `SMTP:${p}.mail.onmicrosoft.com;1`),
    SmartHosts: prefixes.map((p) => `${p}.mail.protection.outlook.com`),
    SourceTransportServers: ["EX01", "EX02"],
    Fqdn: null,
    RequireTLS: true,
    TlsAuthLevel: "DomainValidation",
    TlsDomain: "mail.protection.outlook.com",
    TlsCertificateName: tlsCertificateName,
    CloudServicesMailEnabled: true,
    DNSRoutingEnabled: false,
    Comment: null,
    Usage: "Custom",
  };
}

/** An on-premises organization as far as the stand-ins and its exports go; `certificates` are installed on-premises. */
export class BrownfieldEstate {
  readonly certificates: string[] = [];

  constructor(
    readonly endpoint: string,
    readonly token: string,
    /** The stand-in shell's state file (MFG_FAKE_EXCHANGE_SHELL_STATE). */
    readonly onPremState: string,
    /** Where the on-premises exports are written (<exportDir>/_onprem/). */
    readonly exportDir: string,
    /** The stand-in shell's certificate store (MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES): what Get-ExchangeCertificate finds. */
    readonly certificateStore: string,
  ) {}

  /** Installs a certificate on the (stand-in) Exchange servers: exported, and found by Get-ExchangeCertificate. */
  install(pem: string): void {
    this.certificates.push(pem);
    mkdirSync(this.certificateStore, { recursive: true });
    writeFileSync(join(this.certificateStore, `${parseCertificatePem(pem, "certificate").thumbprint}.pem`), pem);
  }

  /** Creates the connectors of the brownfield estate in the stand-ins (the tenants must already exist there). */
  async seed(): Promise<void> {
    const client = (tenant: string) =>
      new ExchangeOnlineClient({ endpoint: this.endpoint, tenant: `${tenant}.onmicrosoft.com`, auth: new StaticTokenProvider(this.token) });
    for (const tenant of ["adatum", "litware"]) {
      await client(tenant).newInboundConnector({
        Name: "From on-premises (IP)",
        ConnectorType: "OnPremises",
        SenderDomains: ["*"],
        SenderIPAddresses: [BROWNFIELD_IP],
        RequireTls: true,
      });
    }
    for (const tenant of ["contoso", "fabrikam"]) {
      await client(tenant).newInboundConnector({
        Name: `Hybrid inbound (relay.${tenant}.com)`,
        ConnectorType: "OnPremises",
        SenderDomains: ["*"],
        TlsSenderCertificateName: `relay.${tenant}.com`,
        RequireTls: true,
        CloudServicesMailEnabled: true,
      });
    }
    const sharedPem = makeCertificatePem({ dnsNames: ["relay.contoso.com", "relay.fabrikam.com"], organization: "Contoso and Fabrikam" });
    this.install(sharedPem);
    const shared = parseCertificatePem(sharedPem, "shared certificate");
    const state: FakeShellState = {
      version: 1,
      sendConnectors: [
        sendConnector("Outbound to Office 365", ["adatum", "litware"], null),
        sendConnector("Outbound to contoso and fabrikam", ["contoso", "fabrikam"], `<I>${shared.issuer}<S>${shared.subject}`),
      ],
    };
    writeFileSync(this.onPremState, JSON.stringify(state));
    this.exportOnPremises();
  }

  /** What an admin exports on-premises: Get-SendConnector and Get-ExchangeCertificate as JSON. */
  exportOnPremises(): void {
    mkdirSync(join(this.exportDir, "_onprem"), { recursive: true });
    writeFileSync(join(this.exportDir, "_onprem", "SendConnector.json"), JSON.stringify(this.sendConnectors()));
    writeFileSync(
      join(this.exportDir, "_onprem", "ExchangeCertificate.json"),
      JSON.stringify(this.certificates.map(exchangeCertificateRecord)),
    );
  }

  sendConnectors(): FakeSendConnector[] {
    return (JSON.parse(readFileSync(this.onPremState, "utf8")) as FakeShellState).sendConnectors;
  }

  /**
   * Plays the CA and the Exchange admin for the certificate requests of a plan.json: issues each
   * requested certificate from the test CA into the file the stack expects (under `projectDir`) and
   * installs it on-premises. Returns the files written.
   */
  issueRequestedCertificates(planJson: string, projectDir: string): string[] {
    const plan = JSON.parse(readFileSync(planJson, "utf8")) as {
      tenants: { tenant: string; certificate: { kind: string; file: string; dnsName: string } }[];
    };
    const written: string[] = [];
    for (const { tenant, certificate } of plan.tenants) {
      if (certificate.kind !== "request") continue;
      const pem = makeCertificatePem({ dnsNames: [certificate.dnsName], organization: tenant });
      mkdirSync(dirname(join(projectDir, certificate.file)), { recursive: true });
      writeFileSync(join(projectDir, certificate.file), pem);
      this.install(pem);
      written.push(certificate.file);
    }
    return written;
  }
}
