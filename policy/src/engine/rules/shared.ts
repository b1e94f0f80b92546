import { routingDomainFor } from "../clouds";
import { isWildcard } from "../domain";
import type { InventoryIndex } from "../inventory-index";
import type { Certificate, InboundConnector, ResourceRef, SendConnector, Tenant } from "../model";

/** The ref a finding about a certificate points at. */
export function certificateRef(certificate: Certificate): ResourceRef {
  return certificate.ref ?? { kind: "certificate", name: certificate.thumbprint };
}

/** Quoted, sorted, comma-separated: "a", "b". */
export function quotedList(values: Iterable<string>): string {
  return [...values]
    .sort()
    .map((value) => `"${value}"`)
    .join(", ");
}

/**
 * Fields whose value decides tenant attribution or connector identity (DESIGN §6). When one is
 * unknown at preview, `security-values-known` reports it and every other rule skips the check that
 * needs it: an unknown value is neither missing nor wrong.
 */
export const SECURITY_RELEVANT_FIELDS: ReadonlySet<string> = new Set([
  "tenant",
  "tenants",
  "tlsSenderCertificateName",
  "senderIPAddresses",
  "certificateThumbprint",
  "tlsCertificateName",
  "acceptedDomains",
  "smartHosts",
  "addressSpaces",
  "certificate",
  "certificatePem",
  "pem",
]);

/** "senderIPAddresses[2]" and "certificate.pem" name the fields "senderIPAddresses" and "certificate". */
export function baseField(path: string): string {
  return path.split(/[.[]/, 1)[0] ?? path;
}

/** True when `field` (or an element or member of it) was not known when the inventory was taken. */
export function isUnknown(entity: InboundConnector | SendConnector, field: string): boolean {
  return entity.unknown.some((path) => baseField(path) === field);
}

/** Inbound connectors that carry mail from the tenant's own on-premises servers (not add-on relays). */
export function isOnPremisesPath(connector: InboundConnector): boolean {
  return connector.connectorType === "OnPremises" && connector.addOnService === undefined;
}

export type AcceptedNameVerdict =
  | { readonly kind: "accepted" }
  | { readonly kind: "tenant-unknown" }
  | { readonly kind: "not-accepted"; readonly tenant: Tenant; readonly acceptedParent?: string };

/**
 * Whether a certificate name is exactly an accepted domain of the tenant. A parent domain does not
 * count (Exchange Online matches the certificate domain to an accepted domain, not to a suffix), nor
 * does MatchSubDomains. A wildcard name passes when its domain is accepted (Exchange reads *.contoso.com
 * as contoso.com and its subdomains; `inbound-connector-settings` still advises against it).
 */
export function acceptedNameVerdict(index: InventoryIndex, tenantName: string, name: string): AcceptedNameVerdict {
  const tenant = index.tenants.get(tenantName);
  if (!tenant) return { kind: "tenant-unknown" };
  const wanted = isWildcard(name) ? name.slice(2) : name;
  if (tenant.acceptedDomains.includes(wanted)) return { kind: "accepted" };
  const labels = wanted.split(".");
  for (let i = 1; i < labels.length - 1; i++) {
    const parent = labels.slice(i).join(".");
    if (tenant.acceptedDomains.includes(parent)) return { kind: "not-accepted", tenant, acceptedParent: parent };
  }
  return { kind: "not-accepted", tenant };
}

/** The finding text for a name that is not accepted, shared by the OnPremises and add-on rules. */
export function notAcceptedMessage(verdict: Exclude<AcceptedNameVerdict, { kind: "accepted" }>, tenantName: string, name: string): string {
  if (verdict.kind === "tenant-unknown") {
    return `'TlsSenderCertificateName' "${name}" cannot be checked: the accepted domains of tenant "${tenantName}" are not in the inventory.`;
  }
  const accepted = [...verdict.tenant.acceptedDomains].sort().join(", ") || "none";
  const parent = verdict.acceptedParent
    ? ` Its parent "${verdict.acceptedParent}" is accepted, but Exchange Online attributes mail only by an exactly accepted certificate domain.`
    : "";
  return `'TlsSenderCertificateName' "${name}" is not an accepted domain of tenant "${tenantName}" (accepted: ${accepted}).${parent}`;
}

/** Lower-case, no trailing dot: how smart hosts and address spaces are compared. */
export function normalizeHost(value: string): string {
  const trimmed = value.trim().toLowerCase();
  return trimmed.endsWith(".") ? trimmed.slice(0, -1) : trimmed;
}

/** The hybrid routing domain HCW adds for a tenant, in its cloud: contoso.onmicrosoft.com -> contoso.mail.onmicrosoft.com. */
export function tenantRoutingDomain(tenant: string): string | undefined {
  return routingDomainFor(tenant);
}
