import { mailCloudOf, mailHostKey, mailHostKeyOf } from "../clouds";
import { type SendConnector, tenantSmartHost } from "../model";
import type { Draft, Rule } from "../rule";
import { isUnknown, normalizeHost, tenantRoutingDomain } from "./shared";

/** "SMTP:contoso.mail.onmicrosoft.com;1" -> "contoso.mail.onmicrosoft.com". */
function addressSpaceDomain(entry: string): string {
  return normalizeHost(
    entry
      .trim()
      .replace(/^smtp:/i, "")
      .replace(/;\d+$/, ""),
  );
}

/**
 * What the connector's tenants own, in each tenant's cloud: smart hosts (<tenant>.<cloud's protection
 * domain> for the initial domain or an accepted domain, as HCW derives it from the MX, or the DNSSEC MX
 * <domain>.<id>.mx.microsoft of MC1048624) and address spaces (the routing domain or an accepted
 * domain, exactly). `complete` is false when a tenant is missing from the inventory, so a name outside
 * the set cannot be called foreign. Exported for `mailflow-guard plan`, which keeps what this rule accepts.
 */
export function ownedNames(
  connector: Pick<SendConnector, "tenants">,
  tenants: ReadonlyMap<string, { acceptedDomains: readonly string[] }>,
) {
  const smartHosts = new Set<string>();
  const hostKeys = new Set<string>();
  const addressSpaces = new Set<string>();
  let complete = true;
  for (const name of connector.tenants) {
    const cloud = mailCloudOf(name);
    const add = (domain: string) => {
      smartHosts.add(tenantSmartHost(domain, cloud));
      hostKeys.add(mailHostKey(domain, cloud));
    };
    add(name);
    const routing = tenantRoutingDomain(name);
    if (routing) addressSpaces.add(routing);
    const tenant = tenants.get(name);
    if (!tenant) {
      complete = false;
      continue;
    }
    for (const domain of tenant.acceptedDomains) {
      addressSpaces.add(domain);
      add(domain);
    }
  }
  const ownsHost = (raw: string): boolean => {
    const host = normalizeHost(raw);
    if (smartHosts.has(host)) return true;
    const key = mailHostKeyOf(host);
    return key !== undefined && hostKeys.has(key);
  };
  return { ownsHost, addressSpaces, complete };
}

/**
 * The on-premises side of a hybrid path: mail to Exchange Online must be TLS-protected, must present
 * the tenant's certificate to Exchange Online's own name, must carry the cross-premises headers, and
 * must go only to the paired tenant. One finding per defect so each names one parameter. Scope
 * "inventory": whether a smart host or address space belongs to the tenant needs the tenant's
 * accepted domains, which come from the inbound connectors.
 */
export const sendConnectorTls: Rule = {
  id: "send-connector-tls",
  description:
    "Checks that every Send Connector to a tenant requires TLS with domain or certificate validation, is hybrid-enabled, routes by smart host and only to its tenant.",
  defaultSeverity: "mandatory",
  source: "New-SendConnector docs; HCW; HealthChecker",
  scope: "inventory",
  *check({ inventory, index }): Iterable<Draft> {
    for (const connector of inventory.sendConnectors) {
      if (isUnknown(connector, "tenants") || connector.tenants.length === 0) continue;
      const name = connector.name;
      const at = { resource: connector.ref, ...(connector.tenants.length === 1 ? { tenant: connector.tenants[0] as string } : {}) };
      if (!connector.requireTls) {
        yield {
          ...at,
          message: `Send connector "${name}" has 'RequireTLS' false, so mail to Exchange Online may be sent without TLS and without its certificate.`,
          remediation: `Set-SendConnector "${name}" -RequireTLS $true.`,
        };
      }
      const tlsDomain = mailCloudOf(connector.tenants[0] as string).tlsDomain;
      if (connector.tlsAuthLevel === "DomainValidation") {
        if (connector.tlsDomain !== tlsDomain) {
          yield {
            ...at,
            message: `Send connector "${name}" validates 'TlsDomain' ${connector.tlsDomain ? `"${connector.tlsDomain}"` : "(not set)"} instead of "${tlsDomain}".`,
            remediation: `Set-SendConnector "${name}" -TlsDomain ${tlsDomain}.`,
          };
        }
      } else if (connector.tlsAuthLevel !== "CertificateValidation") {
        yield {
          ...at,
          message: `Send connector "${name}" has 'TlsAuthLevel' ${connector.tlsAuthLevel ? `"${connector.tlsAuthLevel}"` : "(not set)"}; Exchange Online's certificate is not validated.`,
          remediation: `Set-SendConnector "${name}" -TlsAuthLevel DomainValidation -TlsDomain ${tlsDomain} (or -TlsAuthLevel CertificateValidation).`,
        };
      }
      if (!connector.cloudServicesMailEnabled) {
        yield {
          ...at,
          message: `Send connector "${name}" has 'CloudServicesMailEnabled' false, so cross-premises headers are stripped and the tenant cannot treat the mail as hybrid.`,
          remediation: `Set-SendConnector "${name}" -CloudServicesMailEnabled $true.`,
        };
      }

      const owned = ownedNames(connector, index.tenants);
      const tenantList = connector.tenants.map((tenant) => `"${tenant}"`).join(", ");
      if (!isUnknown(connector, "smartHosts")) {
        if (connector.smartHosts.length > 0 && connector.dnsRoutingEnabled) {
          yield {
            ...at,
            message: `Send connector "${name}" lists 'SmartHosts' but has 'DNSRoutingEnabled' true, so the smart hosts are ignored and mail follows MX records.`,
            remediation: `Set-SendConnector "${name}" -DNSRoutingEnabled $false -SmartHosts ${tenantSmartHost(connector.tenants[0] as string)}.`,
          };
        } else if (connector.smartHosts.length === 0 && !connector.dnsRoutingEnabled) {
          yield {
            ...at,
            message: `Send connector "${name}" has 'DNSRoutingEnabled' false but no 'SmartHosts', so it cannot deliver.`,
            remediation: `Set-SendConnector "${name}" -SmartHosts ${tenantSmartHost(connector.tenants[0] as string)}.`,
          };
        }
        for (const raw of connector.smartHosts) {
          const host = normalizeHost(raw);
          if (owned.ownsHost(host) || !owned.complete) continue;
          yield {
            ...at,
            message: `Send connector "${name}" has smart host "${raw}", which is not Exchange Online's host for tenant ${tenantList} (expected ${[...new Set(connector.tenants.map((tenant) => tenantSmartHost(tenant)))].join(", ")}).`,
            remediation: `Set-SendConnector "${name}" -SmartHosts ${tenantSmartHost(connector.tenants[0] as string)}.`,
          };
        }
      }
      if (!isUnknown(connector, "addressSpaces")) {
        // Address space * to the tenant's own smart hosts relays internet mail through Microsoft 365, a
        // documented configuration (HealthChecker recognises it); anywhere else it sends all mail away.
        const ownSmartHostsOnly =
          !isUnknown(connector, "smartHosts") &&
          connector.smartHosts.length > 0 &&
          connector.smartHosts.every((host) => owned.ownsHost(host));
        for (const raw of connector.addressSpaces) {
          const domain = addressSpaceDomain(raw);
          if (domain === "*") {
            if (ownSmartHostsOnly) continue;
            yield {
              ...at,
              message: `Send connector "${name}" has address space "${raw}" but its smart hosts are not all Exchange Online's hosts for tenant ${tenantList}, so it sends all internet mail somewhere else.`,
              remediation: `Set-SendConnector "${name}" -SmartHosts ${tenantSmartHost(connector.tenants[0] as string)}, or remove "*" from -AddressSpaces.`,
            };
            continue;
          }
          if (owned.addressSpaces.has(domain) || !owned.complete) continue;
          yield {
            ...at,
            message: `Send connector "${name}" has address space "${raw}", which is neither the routing domain nor an accepted domain of tenant ${tenantList}.`,
            remediation: `Set-SendConnector "${name}" -AddressSpaces ${tenantRoutingDomain(connector.tenants[0] as string) ?? "<an accepted domain of the tenant>"}.`,
          };
        }
      }
    }
  },
};
