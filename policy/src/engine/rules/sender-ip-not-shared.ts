import type { EngineConfig } from "../config";
import { classifySenderAddress, type Ipv4Block, nonPublicBlock } from "../ipv4";
import type { Inventory, ResourceRef } from "../model";
import type { Draft, Rule } from "../rule";
import { isUnknown } from "./shared";

/** One IPv4 block somebody sends from: an inbound connector's entry, an org-table entry or a known-shared range. */
export interface SenderClaim {
  readonly block: Ipv4Block;
  readonly kind: "connector" | "org" | "shared";
  /** Owning tenant; absent for known-shared ranges. */
  readonly tenant?: string;
  /** The connector (kind "connector") or where the org-table entry came from. */
  readonly ref?: ResourceRef;
  /** How the claim is named in a message. */
  readonly label: string;
  /** Position in input order, for deterministic output. */
  readonly order: number;
}

/**
 * Every block that takes part in the sharing check. Entries Exchange Online never sees as a
 * connecting address (private, CGNAT, loopback...) and entries that are not IPv4 addresses or CIDRs
 * are left to `sender-ip-accepted-by-exchange-online`; a connector lists each block once.
 */
export function senderClaims(inventory: Inventory, config: EngineConfig): SenderClaim[] {
  const claims: SenderClaim[] = [];
  const add = (claim: Omit<SenderClaim, "order">) => {
    if (claim.kind !== "shared" && nonPublicBlock(claim.block)) return;
    claims.push({ ...claim, order: claims.length });
  };
  for (const connector of inventory.inboundConnectors) {
    if (connector.connectorType !== "OnPremises" || isUnknown(connector, "senderIPAddresses") || isUnknown(connector, "tenant")) continue;
    const seen = new Set<string>();
    for (const raw of connector.senderIPAddresses) {
      const parsed = classifySenderAddress(raw);
      if (parsed.kind !== "ipv4" || seen.has(parsed.block.text)) continue;
      seen.add(parsed.block.text);
      add({
        block: parsed.block,
        kind: "connector",
        tenant: connector.tenant,
        ref: connector.ref,
        label: `of inbound connector "${connector.name}" (tenant "${connector.tenant}")`,
      });
    }
  }
  // The inventory is the current truth for its own tenants; their org-table rows may be stale.
  const inventoryTenants = new Set(inventory.inboundConnectors.map((connector) => connector.tenant));
  for (const [tenant, assignment] of Object.entries(config.orgAssignments?.tenants ?? {})) {
    if (inventoryTenants.has(tenant)) continue;
    for (const raw of assignment.senderIPAddresses) {
      const parsed = classifySenderAddress(raw);
      if (parsed.kind !== "ipv4") continue;
      add({
        block: parsed.block,
        kind: "org",
        tenant,
        ref: { kind: "tenant", name: tenant, ...(assignment.source ? { source: assignment.source } : {}) },
        label: `assigned to tenant "${tenant}" in the org-wide inventory`,
      });
    }
  }
  for (const shared of config.knownSharedRanges) {
    add({ block: shared.block, kind: "shared", label: `in ${shared.name}, which is not dedicated to any tenant` });
  }
  return claims;
}

/** A pair is a defect when it involves a connector of this inventory and two different owners. */
export function conflicting(a: SenderClaim, b: SenderClaim): boolean {
  if (a.kind !== "connector" && b.kind !== "connector") return false;
  if (a.kind === "shared" || b.kind === "shared") return true;
  return a.tenant !== b.tenant;
}

/** The overlapping part of two CIDR blocks is the narrower one (CIDRs nest or are disjoint). */
function overlapText(a: Ipv4Block, b: Ipv4Block): string {
  return a.prefix >= b.prefix ? a.text : b.text;
}

/**
 * All conflicting overlapping pairs, by a sweep over the blocks sorted by start: each block is
 * compared only with the blocks still open at its start, so the cost is O(n log n) plus the pairs found.
 * The connector claim comes first in each pair (the lower input position when both are connectors).
 */
export function overlappingPairs(claims: readonly SenderClaim[]): [SenderClaim, SenderClaim][] {
  const sorted = [...claims].sort((a, b) => a.block.first - b.block.first || b.block.last - a.block.last || a.order - b.order);
  const pairs: [SenderClaim, SenderClaim][] = [];
  let open: SenderClaim[] = [];
  for (const claim of sorted) {
    open = open.filter((other) => other.block.last >= claim.block.first);
    for (const other of open) {
      if (!conflicting(other, claim)) continue;
      const otherFirst = other.kind === "connector" && (claim.kind !== "connector" || other.order < claim.order);
      pairs.push(otherFirst ? [other, claim] : [claim, other]);
    }
    open.push(claim);
  }
  return pairs.sort(([a1, b1], [a2, b2]) => a1.order - a2.order || b1.order - b2.order);
}

/**
 * MC1226222: when OnPremises connectors authenticate by IP and another tenant's servers use the same
 * address, Exchange Online may attribute one tenant's mail to the other. Exchange Online's own ranges
 * and vendor pools (config.knownSharedRanges) are shared by definition.
 */
export const senderIpNotShared: Rule = {
  id: "sender-ip-not-shared",
  description:
    "Checks that no OnPremises inbound connector's SenderIPAddresses overlap another tenant's sender IPs, in this inventory, in the org-wide inventory, or a known shared range.",
  defaultSeverity: "mandatory",
  source: "MC1226222",
  scope: "inventory",
  configKeys: ["knownSharedRanges", "orgAssignments"],
  *check({ inventory, config }): Iterable<Draft> {
    for (const [mine, other] of overlappingPairs(senderClaims(inventory, config))) {
      const ref = mine.ref as ResourceRef;
      yield {
        resource: ref,
        ...(mine.tenant ? { tenant: mine.tenant } : {}),
        // Both tenants of the pair own the defect (an org-table tenant is in another stack, a shared range in none).
        ...(mine.tenant && other.kind === "connector" && other.tenant ? { tenants: [mine.tenant, other.tenant].sort() } : {}),
        message: `'SenderIPAddresses' entry "${mine.block.text}" ${mine.label} overlaps "${other.block.text}" ${other.label} (overlap: ${overlapText(mine.block, other.block)}). Exchange Online cannot tell these senders' mail apart by IP.`,
        remediation: `Authenticate by certificate instead (Set-InboundConnector "${ref.name}" -TlsSenderCertificateName <an accepted domain of this tenant> -SenderIPAddresses $null), or list only an egress IP dedicated to this tenant.`,
        ...(other.ref ? { related: [other.ref] } : {}),
      };
    }
  },
};
