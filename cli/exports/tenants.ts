import { buildIndex, type Finding, type Inventory, type ResourceRef } from "../../policy/src/engine";
import { findingTenant } from "../report";

/** Which tenants each resource belongs to, built once per inventory. */
const owners = new WeakMap<Inventory, (ref: ResourceRef) => readonly string[]>();

function ownersOf(inventory: Inventory): (ref: ResourceRef) => readonly string[] {
  const known = owners.get(inventory);
  if (known) return known;
  const key = (ref: ResourceRef) => `${ref.kind}\u0000${ref.name}\u0000${ref.source ?? ""}`;
  const table = new Map<string, string[]>();
  const add = (ref: ResourceRef, tenants: readonly string[]) => table.set(key(ref), [...(table.get(key(ref)) ?? []), ...tenants]);
  for (const connector of inventory.inboundConnectors) add(connector.ref, [connector.tenant]);
  for (const connector of inventory.sendConnectors) add(connector.ref, connector.tenants);
  const index = buildIndex(inventory);
  for (const certificate of inventory.certificates) {
    const tenants = index.tenantsByThumbprint.get(certificate.thumbprint);
    if (certificate.ref && tenants) add(certificate.ref, [...tenants]);
  }
  const lookup = (ref: ResourceRef) => (ref.kind === "tenant" ? [ref.name] : (table.get(key(ref)) ?? []));
  owners.set(inventory, lookup);
  return lookup;
}

/** Every tenant a finding involves: the rule's own list for findings between tenants, else its one tenant. */
export function findingTenants(finding: Finding, inventory: Inventory): string[] {
  if (finding.tenants && finding.tenants.length > 0) return [...new Set(finding.tenants)].sort();
  const one = findingTenant(finding, inventory);
  return one ? [one] : [];
}

/** One location per tenant: the resource of that tenant the finding names (its connector, its certificate). */
export function findingLocations(finding: Finding, inventory: Inventory): { tenant: string; resource: ResourceRef }[] {
  const lookup = ownersOf(inventory);
  const refs = [finding.resource, ...(finding.related ?? [])];
  return findingTenants(finding, inventory).map((tenant) => ({
    tenant,
    resource: refs.find((ref) => lookup(ref).includes(tenant)) ?? finding.resource,
  }));
}
