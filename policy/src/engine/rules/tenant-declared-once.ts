import type { InboundConnector, SendConnector } from "../model";
import type { Draft, Rule } from "../rule";
import { isUnknown } from "./shared";

/**
 * Exchange keeps connector names unique, case-insensitively: per tenant for inbound connectors, per
 * organization for Send Connectors ("A Send connector named '…' already exists"). Two of the same
 * name in one stack or one export mean a tenant was declared twice (contoso.onmicrosoft.com and
 * CONTOSO.onmicrosoft.com are one tenant once normalized), and `up` would half succeed.
 * Connectors read from different export files belong to different organizations and are not compared.
 */
export const tenantDeclaredOnce: Rule = {
  id: "tenant-declared-once",
  description:
    "Checks that no tenant is declared twice: connector names are unique (case-insensitive) per tenant for inbound connectors and per organization for Send Connectors, as Exchange requires.",
  defaultSeverity: "mandatory",
  source: "New-InboundConnector and New-SendConnector docs (-Name is unique)",
  scope: "inventory",
  *check({ inventory }): Iterable<Draft> {
    const groups = new Map<string, (InboundConnector | SendConnector)[]>();
    const add = (key: string, connector: InboundConnector | SendConnector) => groups.set(key, [...(groups.get(key) ?? []), connector]);
    for (const connector of inventory.inboundConnectors) {
      if (isUnknown(connector, "tenant")) continue;
      add(`inbound\0${connector.ref.source ?? ""}\0${connector.tenant}\0${connector.name.toLowerCase()}`, connector);
    }
    for (const connector of inventory.sendConnectors)
      add(`send\0${connector.ref.source ?? ""}\0${connector.name.toLowerCase()}`, connector);
    for (const [key, connectors] of groups) {
      if (connectors.length < 2) continue;
      const [first, ...others] = connectors as [InboundConnector | SendConnector, ...(InboundConnector | SendConnector)[]];
      const inbound = key.startsWith("inbound");
      const tenants = inbound
        ? [(first as InboundConnector).tenant]
        : [...new Set(connectors.flatMap((c) => (c as SendConnector).tenants))];
      const where = inbound ? `in tenant "${tenants[0]}"` : "in one on-premises organization";
      yield {
        resource: first.ref,
        ...(tenants.length === 1 ? { tenant: tenants[0] } : {}),
        message: `${connectors.length} ${inbound ? "inbound connectors" : "Send Connectors"} are named "${first.name}" ${where}${tenants.length === 1 ? `: tenant "${tenants[0]}" is declared more than once (tenant names compare case-insensitively)` : ""}. Exchange refuses the second one ("already exists").`,
        remediation: `Declare each tenant once (remove the duplicate entry${others.some((c) => c.ref.name !== first.ref.name) ? `s ${others.map((c) => `"${c.ref.name}"`).join(", ")}` : ""}), or give each connector a name of its own.`,
        related: others.map((c) => c.ref),
      };
    }
  },
};
