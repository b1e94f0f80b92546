import { z } from "zod";
import { type Cloud, mailCloudOf, smartHostFor } from "./clouds";
import { normalizeDomain } from "./domain";
import { InputError } from "./errors";
import { type CertificateFacts, parseCertificatePem } from "./x509";

/**
 * The normalized inventory every rule reads: tenants with their accepted domains, Exchange Online
 * inbound connectors, on-premises send connectors and certificates. Every front door (the policy
 * pack, the components, the audit CLI) translates its source into this shape and nothing else.
 */

/** Where a fact came from, so a finding can point at it. */
export const ResourceRefSchema = z.object({
  kind: z.enum(["tenant", "inboundConnector", "sendConnector", "certificate"]),
  name: z.string(),
  /** Pulumi URN when the fact came from a stack. */
  urn: z.string().optional(),
  /** File (export, stack export) the fact was read from. */
  source: z.string().optional(),
});
export type ResourceRef = z.infer<typeof ResourceRefSchema>;

function domainSchema(what: string) {
  return z.string({ error: `${what} must be a string` }).transform((value, ctx) => {
    try {
      return normalizeDomain(value, what);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
}

export const DomainSchema = domainSchema("domain");

export const TenantSchema = z.object({
  /** The tenant's initial domain, e.g. contoso.onmicrosoft.com. */
  name: domainSchema("tenant.name").refine((name) => name.endsWith(".onmicrosoft.com") || name.includes("."), {
    message: "tenant.name must be the tenant's initial domain, e.g. contoso.onmicrosoft.com",
  }),
  acceptedDomains: z.array(domainSchema("acceptedDomains[]")),
  source: z.string().optional(),
});
export type Tenant = z.infer<typeof TenantSchema>;

export const CertificateSchema = z.object({
  thumbprint: z
    .string()
    .transform((value) => value.replace(/[\s:]/g, "").toUpperCase())
    .pipe(z.string().regex(/^[0-9A-F]{40}$/, "thumbprint must be 40 hex digits (SHA-1)")),
  sha256: z.string().optional(),
  subject: z.string(),
  issuer: z.string(),
  commonName: domainSchema("commonName").optional(),
  dnsNames: z.array(domainSchema("dnsNames[]")),
  notBefore: z.coerce.date(),
  notAfter: z.coerce.date(),
  /** Tenant this certificate is dedicated to, where the source says so. */
  tenant: domainSchema("certificate.tenant").optional(),
  ref: ResourceRefSchema.optional(),
});
export type Certificate = z.infer<typeof CertificateSchema>;

export const CONNECTOR_TYPES = ["OnPremises", "Partner"] as const;
export const TLS_AUTH_LEVELS = ["EncryptionOnly", "CertificateValidation", "DomainValidation"] as const;

/** Fields whose value was not known (a Pulumi preview of a computed value). Rules never guess them. */
const unknownFields = z.array(z.string()).default([]);

export const InboundConnectorSchema = z.object({
  ref: ResourceRefSchema,
  name: z.string().min(1, "connector name must not be empty"),
  /** Initial domain of the tenant that owns the connector. */
  tenant: domainSchema("tenant"),
  connectorType: z.enum(CONNECTOR_TYPES),
  enabled: z.boolean().default(true),
  tlsSenderCertificateName: domainSchema("tlsSenderCertificateName").optional(),
  /** Raw entries; rules classify them (IPv6, ranges and short prefixes are findings, not parse errors). */
  senderIPAddresses: z.array(z.string()).default([]),
  senderDomains: z.array(z.string()).default([]),
  requireTls: z.boolean().default(false),
  restrictDomainsToCertificate: z.boolean().default(false),
  restrictDomainsToIPAddresses: z.boolean().default(false),
  treatMessagesAsInternal: z.boolean().default(false),
  cloudServicesMailEnabled: z.boolean().default(false),
  /** Set for an add-on service relaying through Exchange Online (signature service, CRM, gateway). */
  addOnService: z.string().optional(),
  /** Certificate the sending side presents on this path, by SHA-1 thumbprint, where known. */
  certificateThumbprint: z.string().optional(),
  /** The `<project>/<stack>` that manages the connector, from the mark in its Comment. */
  managedBy: z.string().optional(),
  unknown: unknownFields,
});
export type InboundConnector = z.infer<typeof InboundConnectorSchema>;

export const SendConnectorSchema = z.object({
  ref: ResourceRefSchema,
  name: z.string().min(1, "connector name must not be empty"),
  /** Tenants (initial domains) this connector routes to, derived from smart hosts and address spaces. */
  tenants: z.array(domainSchema("tenants[]")).default([]),
  addressSpaces: z.array(z.string()).default([]),
  smartHosts: z.array(z.string()).default([]),
  dnsRoutingEnabled: z.boolean().default(true),
  requireTls: z.boolean().default(false),
  tlsAuthLevel: z.enum(TLS_AUTH_LEVELS).optional(),
  tlsDomain: domainSchema("tlsDomain").optional(),
  tlsCertificateName: z.string().optional(),
  cloudServicesMailEnabled: z.boolean().default(false),
  /** False for a disabled Send Connector (Enabled: false), which routes no mail; absent when the source does not say. */
  enabled: z.boolean().optional(),
  sourceTransportServers: z.array(z.string()).default([]),
  /** The FQDN the connector announces in HELO/EHLO (-Fqdn), where known. */
  fqdn: z.string().optional(),
  /** SHA-1 thumbprint of the certificate TlsCertificateName selects, where known. */
  certificateThumbprint: z.string().optional(),
  /** The `<project>/<stack>` that manages the connector, from the mark in its Comment. */
  managedBy: z.string().optional(),
  unknown: unknownFields,
});
export type SendConnector = z.infer<typeof SendConnectorSchema>;

export const InventorySchema = z.object({
  tenants: z.array(TenantSchema).default([]),
  inboundConnectors: z.array(InboundConnectorSchema).default([]),
  sendConnectors: z.array(SendConnectorSchema).default([]),
  certificates: z.array(CertificateSchema).default([]),
});
export type Inventory = z.infer<typeof InventorySchema>;
export type InventoryInput = z.input<typeof InventorySchema>;

/** Parses and normalizes an inventory; a bad one is an InputError listing every problem by path. */
export function parseInventory(input: unknown, source = "inventory"): Inventory {
  const result = InventorySchema.safeParse(input);
  if (!result.success) {
    throw new InputError(source, "(see below)", `is not a valid inventory:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** A certificate for the inventory from a PEM (public part only). */
export function certificateFromPem(pem: string, field: string, extra: Pick<Certificate, "tenant" | "ref"> = {}): Certificate {
  const facts: CertificateFacts = parseCertificatePem(pem, field);
  return { ...facts, dnsNames: [...facts.dnsNames], ...extra };
}

/**
 * Exchange Online's host for a tenant's mail, in the tenant's cloud (clouds.ts):
 * contoso.onmicrosoft.com -> contoso.mail.protection.outlook.com, contoso.onmicrosoft.us -> contoso.mail.protection.office365.us.
 */
export function tenantSmartHost(tenant: string, cloud: Cloud = mailCloudOf(tenant)): string {
  return smartHostFor(tenant, cloud);
}
