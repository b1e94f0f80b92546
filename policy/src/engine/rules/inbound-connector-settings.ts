import { isWildcard } from "../domain";
import type { Draft, Rule } from "../rule";
import { isUnknown } from "./shared";

/**
 * Inbound connector settings that change attribution or do nothing:
 * - TreatMessagesAsInternal makes mail internal to the tenant; only a hybrid OnPremises connector
 *   without CloudServicesMailEnabled may use it (mandatory).
 * - A wildcard TlsSenderCertificateName is supported (New-InboundConnector: the domain and all its
 *   subdomains) but accepts more certificates than the one path needs (advisory only).
 * - RestrictDomainsToCertificate / RestrictDomainsToIPAddresses apply to Partner connectors only and
 *   are ignored on OnPremises ones (advisory). Add-on relays are left to
 *   `add-on-relay-per-customer-certificate`, which requires RestrictDomainsToCertificate for them.
 */
export const inboundConnectorSettings: Rule = {
  id: "inbound-connector-settings",
  description:
    "Checks that inbound connectors use TreatMessagesAsInternal only where allowed, avoid wildcard certificate names and set no RestrictDomainsTo* that has no effect.",
  defaultSeverity: "mandatory",
  source: "New-InboundConnector docs",
  scope: "connector",
  advisoryPart:
    "Checks that inbound connectors use no wildcard TlsSenderCertificateName and set no RestrictDomainsTo* on OnPremises connectors, where it has no effect.",
  *check({ inventory }): Iterable<Draft> {
    for (const connector of inventory.inboundConnectors) {
      const at = { resource: connector.ref, tenant: connector.tenant };
      const onPremises = connector.connectorType === "OnPremises";
      if (connector.treatMessagesAsInternal && (!onPremises || connector.cloudServicesMailEnabled)) {
        yield {
          ...at,
          severity: "mandatory",
          message: onPremises
            ? `Inbound connector "${connector.name}" sets 'TreatMessagesAsInternal' together with 'CloudServicesMailEnabled'; hybrid mail is already internal and the two must not be combined.`
            : `Partner inbound connector "${connector.name}" sets 'TreatMessagesAsInternal', so mail from outside the organization is treated as internal.`,
          remediation: `Set-InboundConnector "${connector.name}" -TreatMessagesAsInternal $false.`,
        };
      }
      const name = connector.tlsSenderCertificateName;
      if (name && isWildcard(name) && !isUnknown(connector, "tlsSenderCertificateName")) {
        yield {
          ...at,
          severity: "advisory",
          message: `Inbound connector "${connector.name}" has wildcard 'TlsSenderCertificateName' "${name}", which accepts a certificate for "${name.slice(2)}" and for any of its subdomains.`,
          remediation: `Set-InboundConnector "${connector.name}" -TlsSenderCertificateName to the exact host name on this path's certificate (e.g. relay.${name.slice(2)}).`,
        };
      }
      if (onPremises && connector.addOnService === undefined) {
        const noOps = [
          connector.restrictDomainsToCertificate ? "RestrictDomainsToCertificate" : undefined,
          connector.restrictDomainsToIPAddresses ? "RestrictDomainsToIPAddresses" : undefined,
        ].filter((parameter) => parameter !== undefined);
        for (const parameter of noOps) {
          yield {
            ...at,
            severity: "advisory",
            message: `OnPremises inbound connector "${connector.name}" sets '${parameter}', which applies to Partner connectors only and has no effect here.`,
            remediation: `Set-InboundConnector "${connector.name}" -${parameter} $false; restrict OnPremises connectors with -TlsSenderCertificateName instead.`,
          };
        }
      }
    }
  },
};
