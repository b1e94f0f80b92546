import type { Draft, Rule } from "../rule";
import { acceptedNameDrafts } from "./certificate-name-accepted";
import { isUnknown } from "./shared";

/**
 * "Integrate Exchange Online with an email add-on service": a service relaying a customer's mail back
 * through Exchange Online presents a certificate unique to that customer, whose domain (e.g.
 * s5hg3dcg.smtp.vendor.example) is an accepted domain of the customer's tenant, and the connector
 * restricts to it. A vendor-wide name (smtp.vendor.example) fails the accepted-domain check here; its
 * use by several tenants is reported once, by `certificate-not-shared-across-tenants`, which covers
 * add-on connectors too, so it is not repeated here.
 */
export const addOnRelayPerCustomerCertificate: Rule = {
  id: "add-on-relay-per-customer-certificate",
  description:
    "Checks that every add-on service connector authenticates with a per-customer certificate whose name is an accepted domain of the tenant, and restricts to it.",
  defaultSeverity: "mandatory",
  source: "Integrate Exchange Online with an email add-on service",
  scope: "connector",
  *check(context): Iterable<Draft> {
    for (const connector of context.inventory.inboundConnectors) {
      const service = connector.addOnService;
      if (service === undefined) continue;
      if (connector.tlsSenderCertificateName === undefined && !isUnknown(connector, "tlsSenderCertificateName")) {
        yield {
          resource: connector.ref,
          tenant: connector.tenant,
          message: `Add-on connector "${connector.name}" for "${service}" sets no 'TlsSenderCertificateName', so the service is not identified by a per-customer certificate.`,
          remediation: `Ask ${service} for a certificate issued for this customer (a name such as <customer-id>.<vendor domain>), add that name as an accepted domain and set Set-InboundConnector "${connector.name}" -TlsSenderCertificateName to it.`,
        };
      } else {
        yield* acceptedNameDrafts(
          context,
          connector,
          `or ask ${service} for a certificate issued for this customer whose name you can add as an accepted domain, and set TlsSenderCertificateName (Set-InboundConnector) to it.`,
        );
      }
      if (!connector.restrictDomainsToCertificate) {
        yield {
          resource: connector.ref,
          tenant: connector.tenant,
          message: `Add-on connector "${connector.name}" for "${service}" has 'RestrictDomainsToCertificate' false, so mail presenting the certificate may claim any sender domain.`,
          remediation: `Set-InboundConnector "${connector.name}" -RestrictDomainsToCertificate $true.`,
        };
      }
    }
  },
};
