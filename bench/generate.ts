import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Deterministic synthetic MSP estates: N tenants, each with accepted domains, one or two
 * OnPremises/Partner inbound connectors, its own certificate and its own Send Connector. A share of
 * tenants authenticate by IP, and a share carry a deliberate cross-tenant conflict (shared
 * certificate, shared certificate name, overlapping sender IPs) so the cross-tenant rules have work.
 * The same seed gives the same estate, in the engine's inventory shape and as Exchange exports.
 */

export interface EstateOptions {
  readonly tenants: number;
  readonly seed: number;
  /** Share of tenants whose OnPremises connector authenticates by IP (SenderIPAddresses). */
  readonly ipShare: number;
  /** Share of tenants for each kind of conflict (shared certificate, shared name, overlapping IP). */
  readonly conflictShare: number;
}

export const DEFAULT_ESTATE: Omit<EstateOptions, "tenants"> = { seed: 42, ipShare: 0.2, conflictShare: 0.02 };

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenTenant {
  readonly index: number;
  readonly prefix: string;
  readonly name: string;
  readonly acceptedDomains: string[];
  readonly relay: string;
  /** Certificate this tenant's send connector presents (its own, or another tenant's for a shared-certificate conflict). */
  certificateOf: number;
  /** Extra DNS name on its own certificate (another tenant's relay name: a shared-name conflict). */
  extraName?: string;
  /** SenderIPAddresses of its IP-authenticated OnPremises connector; empty when it authenticates by certificate. */
  senderIPs: string[];
  /** A second inbound connector (Partner, for a partner organization's mail). */
  partner: boolean;
}

export interface GenCertificate {
  readonly thumbprint: string;
  readonly subject: string;
  readonly issuer: string;
  readonly commonName: string;
  readonly dnsNames: string[];
  readonly notBefore: string;
  readonly notAfter: string;
  readonly tenant: string;
  readonly ref: { kind: "certificate"; name: string };
}

export interface Estate {
  readonly options: EstateOptions;
  readonly tenants: GenTenant[];
  readonly certificates: GenCertificate[];
  /** What was planted, for the report. */
  readonly planted: { sharedCertificate: number; sharedName: number; overlappingIp: number; ipAuth: number };
}

export const ISSUER = "CN=Bench Issuing CA, O=Bench CA, C=US";

function thumbprintOf(seed: number, i: number): string {
  return createHash("sha1").update(`mailflow-guard-bench:${seed}:${i}`).digest("hex").toUpperCase();
}

/** A public IPv4 address for tenant i, outside private, CGNAT and Exchange Online ranges: 20.0.0.0/8 onwards. */
function tenantIp(i: number): string {
  const n = 20 * 2 ** 24 + i * 16 + 10;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The /28 around tenant i's address (an MSP's egress block). */
function tenantBlock(i: number): string {
  const n = 20 * 2 ** 24 + i * 16;
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")}/28`;
}

export function makeEstate(options: EstateOptions): Estate {
  const random = prng(options.seed * 7919 + options.tenants);
  const width = Math.max(5, String(options.tenants).length);
  const tenants: GenTenant[] = [];
  const certificates: GenCertificate[] = [];
  const planted = { sharedCertificate: 0, sharedName: 0, overlappingIp: 0, ipAuth: 0 };
  for (let i = 0; i < options.tenants; i++) {
    const prefix = `t${String(i).padStart(width, "0")}`;
    const name = `${prefix}.onmicrosoft.com`;
    const relay = `relay.${prefix}.com`;
    const acceptedDomains = [`${prefix}.com`, relay, name];
    const extra = Math.floor(random() * 3);
    for (let k = 0; k < extra; k++) acceptedDomains.push(`brand${k}.${prefix}.net`);
    const ipAuth = random() < options.ipShare;
    if (ipAuth) planted.ipAuth++;
    tenants.push({
      index: i,
      prefix,
      name,
      acceptedDomains,
      relay,
      certificateOf: i,
      senderIPs: ipAuth ? [random() < 0.5 ? tenantIp(i) : tenantBlock(i)] : [],
      partner: random() < 0.3,
    });
    // Validity spread: most valid for a year, a few expiring inside the 60-day warning window.
    const expiring = random() < 0.05;
    certificates.push({
      thumbprint: thumbprintOf(options.seed, i),
      subject: `CN=${relay}, O=${prefix.toUpperCase()}, C=US`,
      issuer: ISSUER,
      commonName: relay,
      dnsNames: [relay],
      notBefore: "2026-01-01T00:00:00.000Z",
      notAfter: expiring ? "2026-07-01T00:00:00.000Z" : "2027-06-01T00:00:00.000Z",
      tenant: name,
      ref: { kind: "certificate", name: `${prefix}-cert` },
    });
  }
  // Conflicts: tenant j (j > 0) copies something of an earlier tenant i.
  const pick = (j: number) => Math.floor(random() * j);
  for (let j = 1; j < options.tenants; j++) {
    const t = tenants[j] as GenTenant;
    const sharesCertificate = random() < options.conflictShare;
    const sharesName = random() < options.conflictShare;
    if (sharesCertificate) {
      // The send connector of j presents i's certificate (one certificate, two tenants).
      t.certificateOf = pick(j);
      planted.sharedCertificate++;
    } else if (sharesName) {
      // j's own certificate also carries i's relay name (two certificates, one name, two tenants).
      const i = pick(j);
      t.extraName = (tenants[i] as GenTenant).relay;
      const certificate = certificates[j] as GenCertificate;
      certificate.dnsNames.push(t.extraName);
      planted.sharedName++;
    }
    if (random() < options.conflictShare) {
      // j authenticates by IP from a block that overlaps i's (same /28, or i's exact address).
      const i = pick(j);
      t.senderIPs = [random() < 0.5 ? tenantBlock(i) : tenantIp(i)];
      const other = tenants[i] as GenTenant;
      if (other.senderIPs.length === 0) {
        other.senderIPs = [tenantIp(i)];
        planted.ipAuth++;
      }
      planted.overlappingIp++;
    }
  }
  return { options, tenants, certificates, planted };
}

export function exchangeTlsName(certificate: Pick<GenCertificate, "issuer" | "subject">): string {
  return `<I>${certificate.issuer}<S>${certificate.subject}`;
}

/** The estate as the engine's inventory input (what parseInventory reads). */
export function inventoryJson(estate: Estate) {
  const inboundConnectors: unknown[] = [];
  const sendConnectors: unknown[] = [];
  for (const t of estate.tenants) {
    const certificate = estate.certificates[t.certificateOf] as GenCertificate;
    const ipAuth = t.senderIPs.length > 0;
    inboundConnectors.push({
      ref: { kind: "inboundConnector", name: `${t.prefix}-inbound` },
      name: `${t.prefix}-inbound`,
      tenant: t.name,
      connectorType: "OnPremises",
      ...(ipAuth ? {} : { tlsSenderCertificateName: t.relay }),
      senderIPAddresses: t.senderIPs,
      senderDomains: ["*"],
      requireTls: true,
      cloudServicesMailEnabled: true,
      unknown: [],
    });
    if (t.partner) {
      inboundConnectors.push({
        ref: { kind: "inboundConnector", name: `${t.prefix}-partner` },
        name: `${t.prefix}-partner`,
        tenant: t.name,
        connectorType: "Partner",
        senderIPAddresses: [],
        senderDomains: [`partner.${t.prefix}.org`],
        requireTls: true,
        restrictDomainsToCertificate: false,
        unknown: [],
      });
    }
    sendConnectors.push({
      ref: { kind: "sendConnector", name: `${t.prefix}-send` },
      name: `${t.prefix}-send`,
      tenants: [t.name],
      addressSpaces: [`${t.prefix}.mail.onmicrosoft.com`],
      smartHosts: [`${t.prefix}.mail.protection.outlook.com`],
      dnsRoutingEnabled: false,
      requireTls: true,
      tlsAuthLevel: "DomainValidation",
      tlsDomain: "mail.protection.outlook.com",
      tlsCertificateName: exchangeTlsName(certificate),
      cloudServicesMailEnabled: true,
      sourceTransportServers: ["ex01.onprem.example"],
      certificateThumbprint: certificate.thumbprint,
      unknown: [],
    });
  }
  return {
    tenants: estate.tenants.map((t) => ({ name: t.name, acceptedDomains: t.acceptedDomains })),
    inboundConnectors,
    sendConnectors,
    certificates: estate.certificates,
  };
}

function msDate(iso: string): string {
  return `/Date(${Date.parse(iso)})/`;
}

/**
 * The estate as `mailflow-guard audit` export folders: one folder per tenant (Get-AcceptedDomain,
 * Get-InboundConnector as ConvertTo-Json writes them, enums as numbers) and `_onprem` with every
 * Send Connector and certificate of the one on-premises organization.
 */
export function writeExportFolder(estate: Estate, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const t of estate.tenants) {
    const folder = join(dir, t.name);
    mkdirSync(folder, { recursive: true });
    const domains = t.acceptedDomains.map((domain) => ({
      DomainName: domain,
      Name: domain,
      DomainType: 0,
      Default: domain === `${t.prefix}.com`,
      InitialDomain: domain === t.name,
    }));
    writeFileSync(join(folder, "AcceptedDomain.json"), JSON.stringify(domains, null, 2));
    const connectors: unknown[] = [
      {
        Name: `${t.prefix}-inbound`,
        // Windows PowerShell 5.1 writes enums as numbers: TenantConnectorType OnPremises = 1, Partner = 2.
        ConnectorType: 1,
        ConnectorSource: 2,
        Enabled: true,
        TlsSenderCertificateName: t.senderIPs.length > 0 ? null : t.relay,
        SenderIPAddresses: t.senderIPs,
        SenderDomains: ["smtp:*;1"],
        RequireTls: true,
        RestrictDomainsToCertificate: false,
        RestrictDomainsToIPAddresses: false,
        TreatMessagesAsInternal: false,
        CloudServicesMailEnabled: true,
      },
    ];
    if (t.partner) {
      connectors.push({
        Name: `${t.prefix}-partner`,
        ConnectorType: 2,
        ConnectorSource: 3,
        Enabled: true,
        TlsSenderCertificateName: null,
        SenderIPAddresses: [],
        SenderDomains: [`smtp:partner.${t.prefix}.org;1`],
        RequireTls: true,
        RestrictDomainsToCertificate: false,
        RestrictDomainsToIPAddresses: false,
        TreatMessagesAsInternal: false,
        CloudServicesMailEnabled: false,
      });
    }
    writeFileSync(join(folder, "InboundConnector.json"), JSON.stringify(connectors.length === 1 ? connectors[0] : connectors, null, 2));
  }
  const onprem = join(dir, "_onprem");
  mkdirSync(onprem, { recursive: true });
  const send = estate.tenants.map((t) => {
    const certificate = estate.certificates[t.certificateOf] as GenCertificate;
    return {
      Name: `${t.prefix}-send`,
      AddressSpaces: [`SMTP:${t.prefix}.mail.onmicrosoft.com;1`],
      SmartHosts: [`${t.prefix}.mail.protection.outlook.com`],
      DNSRoutingEnabled: false,
      RequireTLS: true,
      TlsAuthLevel: 4,
      TlsDomain: "mail.protection.outlook.com",
      TlsCertificateName: exchangeTlsName(certificate),
      CloudServicesMailEnabled: true,
      SourceTransportServers: ["EX01"],
    };
  });
  writeFileSync(join(onprem, "SendConnector.json"), JSON.stringify(send, null, 2));
  const certs = estate.certificates.map((c) => ({
    Thumbprint: c.thumbprint,
    Subject: c.subject,
    Issuer: c.issuer,
    CertificateDomains: c.dnsNames,
    NotBefore: msDate(c.notBefore),
    NotAfter: msDate(c.notAfter),
    Services: 8,
  }));
  writeFileSync(join(onprem, "ExchangeCertificate.json"), JSON.stringify(certs, null, 2));
}
