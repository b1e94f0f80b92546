import type { Draft, Rule } from "../rule";
import { acceptedNameDrafts } from "./certificate-name-accepted";
import { isUnknown } from "./shared";

/**
 * "Integrate Exchange Online with an email add-on service": a service relaying a customer's mail back
 * through Exchange Online presents a certificate unique to that customer, whose domain (e.g.
 * s5hg3dcg.smtp.vendor.example) is an accepted domain of the customer's tenant (mandatory); the
 * connector restricts to it and carries cross-premises headers as the scenario sets it (advisory). A vendor-wide name (smtp.vendor.example) fails the accepted-domain check here; its
 * use by several tenants is reported once, by `certificate-not-shared-across-tenants`, which covers
 * add-on connectors too, so it is not repeated here.
 */
export const addOnRelayPerCustomerCertificate: Rule = {
  id: "add-on-relay-per-customer-certificate",
  description:
    "Checks that every add-on service connector authenticates with a per-customer certificate whose name is an accepted domain of the tenant.",
  defaultSeverity: "mandatory",
  source:
    "Integrate Exchange Online with an email add-on service (https://learn.microsoft.com/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/integrate-office-365-with-an-email-add-on-service)",
  scope: "connector",
  advisoryPart:
    "Checks that every add-on service connector sets RestrictDomainsToCertificate and CloudServicesMailEnabled $true as Microsoft's add-on scenario does.",
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
      // The scenario's connector settings. The cmdlet reference documents RestrictDomainsTo* for
      // Partner connectors while the scenario uses it on an OnPremises one, so neither is mandatory.
      const scenario = '(as in "Integrate Exchange Online with an email add-on service").';
      if (!connector.restrictDomainsToCertificate && !isUnknown(connector, "restrictDomainsToCertificate")) {
        yield {
          resource: connector.ref,
          tenant: connector.tenant,
          severity: "advisory",
          message: `Add-on connector "${connector.name}" for "${service}" has 'RestrictDomainsToCertificate' false; Microsoft's add-on scenario sets it so that mail presenting the certificate cannot claim just any sender domain (the cmdlet reference documents it for Partner connectors).`,
          remediation: `Set-InboundConnector "${connector.name}" -RestrictDomainsToCertificate $true ${scenario}`,
        };
      }
      if (!connector.cloudServicesMailEnabled && !isUnknown(connector, "cloudServicesMailEnabled")) {
        yield {
          resource: connector.ref,
          tenant: connector.tenant,
          severity: "advisory",
          message: `Add-on connector "${connector.name}" for "${service}" has 'CloudServicesMailEnabled' false; Microsoft's add-on scenario sets it $true on both of the service's connectors, so the organization's cross-premises headers survive the round trip.`,
          remediation: `Set-InboundConnector "${connector.name}" -CloudServicesMailEnabled $true ${scenario}`,
        };
      }
    }
  },
};
