import type { Draft, Rule } from "../rule";
import { isUnknown } from "./shared";

/**
 * MC1226222 asks OnPremises connectors to authenticate by certificate: an IP can be shared with
 * other tenants without anyone in this tenant knowing, a certificate domain that is an accepted
 * domain cannot.
 */
export const certificateAuthPreferred: Rule = {
  id: "certificate-auth-preferred",
  description: "Checks that OnPremises inbound connectors authenticate by certificate (TlsSenderCertificateName) rather than by IP only.",
  defaultSeverity: "advisory",
  source: "MC1226222 (prefer certificate)",
  scope: "connector",
  *check({ inventory }): Iterable<Draft> {
    for (const connector of inventory.inboundConnectors) {
      if (connector.connectorType !== "OnPremises" || connector.tlsSenderCertificateName !== undefined) continue;
      if (isUnknown(connector, "tlsSenderCertificateName") || isUnknown(connector, "senderIPAddresses")) continue;
      if (connector.senderIPAddresses.length === 0) continue;
      yield {
        resource: connector.ref,
        tenant: connector.tenant,
        message: `OnPremises inbound connector "${connector.name}" authenticates by IP only ('SenderIPAddresses' ${connector.senderIPAddresses.map((ip) => `"${ip}"`).join(", ")}; no 'TlsSenderCertificateName').`,
        remediation: `Set-InboundConnector "${connector.name}" -TlsSenderCertificateName <an accepted domain of tenant "${connector.tenant}" on this path's own certificate>, then remove -SenderIPAddresses.`,
      };
    }
  },
};
