import type { z } from "zod";
import {
  type CertificateSchema,
  certificateFromPem,
  type EngineConfigInput,
  evaluate,
  exchangeTlsCertificateName,
  type Finding,
  type InboundConnectorSchema,
  type Inventory,
  parseInventory,
  type SendConnectorSchema,
  type TenantSchema,
} from "../../policy/src/engine";
import { makeCertificatePem, type TestCertificateOptions } from "./certs";

/**
 * The happy-path inventory every engine test starts from: per tenant prefix ("contoso") a tenant
 * contoso.onmicrosoft.com accepting contoso.com and relay.contoso.com, a certificate for
 * relay.contoso.com, an OnPremises inbound connector "contoso-inbound" authenticating with it, and a
 * Send Connector "contoso-send" presenting it with HCW's TLS settings. It yields no findings; a test
 * changes one field and asserts the one finding that follows.
 */
export type TenantInput = z.input<typeof TenantSchema>;
export type InboundInput = z.input<typeof InboundConnectorSchema> & { senderIPAddresses: string[]; unknown: string[] };
export type SendInput = z.input<typeof SendConnectorSchema> & {
  tenants: string[];
  smartHosts: string[];
  addressSpaces: string[];
  unknown: string[];
};
export type CertificateInput = z.input<typeof CertificateSchema>;

export const DEFAULT_PREFIXES = ["contoso", "fabrikam", "tailspin"] as const;
/** The clock of every fixture evaluation: the default test certificates run 2026-01-01 to 2036-01-01. */
export const FIXTURE_NOW = new Date("2026-06-01T00:00:00Z");

const pemCache = new Map<string, string>();

/** A test certificate, made once per distinct option set (signing is the slow part). */
export function testCertificate(options: TestCertificateOptions, extra: { tenant?: string; name?: string } = {}): CertificateInput {
  const key = JSON.stringify(options);
  let pem = pemCache.get(key);
  if (pem === undefined) {
    pem = makeCertificatePem(options);
    pemCache.set(key, pem);
  }
  return certificateFromPem(pem, "test certificate", {
    ...(extra.tenant ? { tenant: extra.tenant } : {}),
    ref: { kind: "certificate", name: extra.name ?? options.dnsNames?.[0] ?? "certificate" },
  });
}

export class InventoryFixture {
  readonly tenants: TenantInput[] = [];
  readonly inboundConnectors: InboundInput[] = [];
  readonly sendConnectors: SendInput[] = [];
  readonly certificates: CertificateInput[] = [];

  constructor(prefixes: readonly string[] = DEFAULT_PREFIXES) {
    for (const prefix of prefixes) this.addTenantPath(prefix);
  }

  /** Adds one complete, correct tenant path for `prefix`. */
  addTenantPath(prefix: string): this {
    const tenant = `${prefix}.onmicrosoft.com`;
    const relay = `relay.${prefix}.com`;
    const certificate = testCertificate({ dnsNames: [relay], organization: prefix }, { tenant, name: `${prefix}-cert` });
    this.tenants.push({ name: tenant, acceptedDomains: [`${prefix}.com`, relay, tenant] });
    this.certificates.push(certificate);
    this.inboundConnectors.push({
      ref: { kind: "inboundConnector", name: `${prefix}-inbound` },
      name: `${prefix}-inbound`,
      tenant,
      connectorType: "OnPremises",
      tlsSenderCertificateName: relay,
      senderIPAddresses: [],
      requireTls: true,
      cloudServicesMailEnabled: true,
      unknown: [],
    });
    this.sendConnectors.push({
      ref: { kind: "sendConnector", name: `${prefix}-send` },
      name: `${prefix}-send`,
      tenants: [tenant],
      addressSpaces: [`${prefix}.mail.onmicrosoft.com`],
      smartHosts: [`${prefix}.mail.protection.outlook.com`],
      dnsRoutingEnabled: false,
      requireTls: true,
      tlsAuthLevel: "DomainValidation",
      tlsDomain: "mail.protection.outlook.com",
      tlsCertificateName: exchangeTlsCertificateName(certificate),
      cloudServicesMailEnabled: true,
      certificateThumbprint: certificate.thumbprint,
      unknown: [],
    });
    return this;
  }

  tenant(prefix: string): TenantInput {
    return find(this.tenants, (t) => t.name === `${prefix}.onmicrosoft.com`, prefix);
  }
  inbound(prefix: string): InboundInput {
    return find(this.inboundConnectors, (c) => c.name === `${prefix}-inbound`, prefix);
  }
  send(prefix: string): SendInput {
    return find(this.sendConnectors, (c) => c.name === `${prefix}-send`, prefix);
  }
  certificate(prefix: string): CertificateInput {
    return find(this.certificates, (c) => c.ref?.name === `${prefix}-cert`, prefix);
  }

  /** Replaces a tenant's certificate everywhere it is referenced (certificate list and send connector). */
  useCertificate(prefix: string, certificate: CertificateInput): this {
    const index = this.certificates.indexOf(this.certificate(prefix));
    this.certificates[index] = { ...certificate, ref: { kind: "certificate", name: `${prefix}-cert` } };
    const send = this.send(prefix);
    send.certificateThumbprint = certificate.thumbprint;
    send.tlsCertificateName = exchangeTlsCertificateName(certificate as { issuer: string; subject: string });
    return this;
  }

  parse(): Inventory {
    return parseInventory(structuredClone(this.snapshot()));
  }

  snapshot() {
    return {
      tenants: this.tenants,
      inboundConnectors: this.inboundConnectors,
      sendConnectors: this.sendConnectors,
      certificates: this.certificates,
    };
  }

  /** Findings of the given rule (all rules when omitted), evaluated at FIXTURE_NOW unless the config says otherwise. */
  findings(ruleId?: string, config: EngineConfigInput = {}): Finding[] {
    return evaluate(this.parse(), { now: FIXTURE_NOW, ...config }, ruleId ? { only: [ruleId] } : {});
  }

  /** Just the messages, the part a person reads. */
  messages(ruleId?: string, config: EngineConfigInput = {}): string[] {
    return this.findings(ruleId, config).map((finding) => finding.message);
  }
}

function find<T>(list: T[], predicate: (item: T) => boolean, prefix: string): T {
  const item = list.find(predicate);
  if (item === undefined) throw new Error(`fixture has no entry for "${prefix}"`);
  return item;
}
