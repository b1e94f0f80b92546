import type { Certificate, InboundConnector, Inventory, SendConnector, Tenant } from "./model";
import { exchangeTlsCertificateName } from "./x509";

/** Lookups built once per evaluation so that every rule stays linear in the inventory size. */
export interface InventoryIndex {
  readonly tenants: ReadonlyMap<string, Tenant>;
  readonly certificatesByThumbprint: ReadonlyMap<string, Certificate>;
  readonly certificatesByTlsName: ReadonlyMap<string, Certificate[]>;
  readonly sendConnectorsByTenant: ReadonlyMap<string, SendConnector[]>;
  readonly inboundByTenant: ReadonlyMap<string, InboundConnector[]>;
  /** The certificate a send connector presents, by thumbprint or by its <I>issuer<S>subject name. */
  certificateOf(connector: SendConnector | InboundConnector): Certificate | undefined;
  /** Tenants a certificate serves: its own tenant field, and every connector that uses it. */
  readonly tenantsByThumbprint: ReadonlyMap<string, Set<string>>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

export function buildIndex(inventory: Inventory): InventoryIndex {
  const tenants = new Map(inventory.tenants.map((tenant) => [tenant.name, tenant]));
  const certificatesByThumbprint = new Map<string, Certificate>();
  const certificatesByTlsName = new Map<string, Certificate[]>();
  for (const certificate of inventory.certificates) {
    certificatesByThumbprint.set(certificate.thumbprint, certificate);
    push(certificatesByTlsName, exchangeTlsCertificateName(certificate), certificate);
  }
  const sendConnectorsByTenant = new Map<string, SendConnector[]>();
  for (const connector of inventory.sendConnectors) {
    for (const tenant of connector.tenants) push(sendConnectorsByTenant, tenant, connector);
  }
  const inboundByTenant = new Map<string, InboundConnector[]>();
  for (const connector of inventory.inboundConnectors) push(inboundByTenant, connector.tenant, connector);

  const certificateOf = (connector: SendConnector | InboundConnector): Certificate | undefined => {
    if (connector.certificateThumbprint) {
      const byThumbprint = certificatesByThumbprint.get(connector.certificateThumbprint.toUpperCase());
      if (byThumbprint) return byThumbprint;
    }
    if ("tlsCertificateName" in connector && connector.tlsCertificateName) {
      const candidates = certificatesByTlsName.get(connector.tlsCertificateName);
      // The newest valid one is what Exchange would select among renewals with the same name.
      return candidates?.reduce((a, b) => (b.notAfter > a.notAfter ? b : a));
    }
    return undefined;
  };

  const tenantsByThumbprint = new Map<string, Set<string>>();
  for (const certificate of inventory.certificates) {
    if (certificate.tenant) add(tenantsByThumbprint, certificate.thumbprint, certificate.tenant);
  }
  for (const connector of inventory.sendConnectors) {
    const certificate = certificateOf(connector);
    if (certificate) for (const tenant of connector.tenants) add(tenantsByThumbprint, certificate.thumbprint, tenant);
  }
  for (const connector of inventory.inboundConnectors) {
    const certificate = certificateOf(connector);
    if (certificate) add(tenantsByThumbprint, certificate.thumbprint, connector.tenant);
  }

  return {
    tenants,
    certificatesByThumbprint,
    certificatesByTlsName,
    sendConnectorsByTenant,
    inboundByTenant,
    certificateOf,
    tenantsByThumbprint,
  };
}
