import { tenantSmartHost } from "../model";
import type { Draft, Rule } from "../rule";
import { isOnPremisesPath, isUnknown, quotedList, tenantRoutingDomain } from "./shared";

/**
 * Microsoft requires one Send Connector (and one certificate) per tenant when one on-premises
 * organization sends to several tenants. Two checks:
 * - a Send Connector routing to more than one tenant;
 * - a tenant with an OnPremises inbound connector but no Send Connector routing to it. This one runs
 *   only when the inventory holds at least one Send Connector whose tenants are known: an inventory
 *   with none (an Exchange Online export, a stack with only inbound connectors) says nothing about the
 *   on-premises side, and reporting every tenant there would be noise.
 */
export const sendConnectorPerTenant: Rule = {
  id: "send-connector-per-tenant",
  description: "Checks that every on-premises Send Connector routes to exactly one tenant and every on-premises tenant path has its own.",
  defaultSeverity: "mandatory",
  source: "MC1226222; HCW multi-tenant requirement",
  scope: "inventory",
  *check({ inventory, index }): Iterable<Draft> {
    for (const connector of inventory.sendConnectors) {
      if (isUnknown(connector, "tenants") || connector.tenants.length < 2) continue;
      yield {
        resource: connector.ref,
        tenants: [...connector.tenants].sort(),
        message: `Send connector "${connector.name}" routes to ${connector.tenants.length} tenants: ${quotedList(connector.tenants)}. Each tenant needs its own Send Connector presenting its own certificate.`,
        remediation:
          "Create one Send Connector per tenant (New-SendConnector with that tenant's -SmartHosts, -AddressSpaces and -TlsCertificateName) and remove the other tenants from this one.",
      };
    }

    const onPremisesSideKnown = inventory.sendConnectors.some((connector) => !isUnknown(connector, "tenants"));
    const tenantsUnknown = inventory.sendConnectors.some((connector) => isUnknown(connector, "tenants"));
    if (!onPremisesSideKnown || tenantsUnknown) return;
    const reported = new Set<string>();
    for (const connector of inventory.inboundConnectors) {
      if (!connector.enabled || !isOnPremisesPath(connector) || isUnknown(connector, "tenant")) continue;
      if (index.sendConnectorsByTenant.has(connector.tenant) || reported.has(connector.tenant)) continue;
      reported.add(connector.tenant);
      yield {
        resource: connector.ref,
        tenant: connector.tenant,
        message: `Tenant "${connector.tenant}" has OnPremises inbound connector "${connector.name}" but no Send Connector routes to it.`,
        remediation: `Create a Send Connector for this tenant only: New-SendConnector -SmartHosts ${tenantSmartHost(connector.tenant)} -AddressSpaces ${tenantRoutingDomain(connector.tenant) ?? "<accepted domain>"} -TlsCertificateName <this tenant's own certificate>.`,
      };
    }
  },
};
