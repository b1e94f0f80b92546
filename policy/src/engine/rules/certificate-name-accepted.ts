import type { InboundConnector } from "../model";
import type { Draft, Rule, RuleContext } from "../rule";
import { acceptedNameVerdict, isOnPremisesPath, isUnknown, notAcceptedMessage } from "./shared";

/**
 * The accepted-domain check for one connector's TlsSenderCertificateName, shared with
 * `add-on-relay-per-customer-certificate` (which passes its own remediation tail).
 */
export function* acceptedNameDrafts(
  { index }: RuleContext,
  connector: InboundConnector,
  otherwise = "or use a certificate for an accepted domain and set TlsSenderCertificateName (Set-InboundConnector) to it.",
): Iterable<Draft> {
  const name = connector.tlsSenderCertificateName;
  if (!name || isUnknown(connector, "tlsSenderCertificateName") || isUnknown(connector, "tenant")) return;
  // Accepted domains travel with the tenant's connectors; one of them unknown leaves the list incomplete.
  if ((index.inboundByTenant.get(connector.tenant) ?? [connector]).some((c) => isUnknown(c, "acceptedDomains"))) return;
  const verdict = acceptedNameVerdict(index, connector.tenant, name);
  if (verdict.kind === "accepted") return;
  const domain = name.startsWith("*.") ? name.slice(2) : name;
  yield {
    resource: connector.ref,
    tenant: connector.tenant,
    message: notAcceptedMessage(verdict, connector.tenant, name),
    remediation:
      verdict.kind === "tenant-unknown"
        ? `Add tenant "${connector.tenant}" with its acceptedDomains to the inventory (Get-AcceptedDomain in that tenant) so the name can be verified.`
        : `Add it with New-AcceptedDomain -DomainName ${domain} (verified in tenant "${connector.tenant}") ${otherwise}`,
  };
}

/**
 * MC1226222: Exchange Online attributes OnPremises mail to the tenant that has the certificate's
 * domain as an accepted domain. A name that is only a subdomain of an accepted domain is attributed
 * by fallback (MAIL FROM, RCPT TO), which a tenant move can break. Add-on relays are checked by
 * `add-on-relay-per-customer-certificate` with the same helper, so they are skipped here.
 */
export const certificateNameAccepted: Rule = {
  id: "certificate-name-is-accepted-domain",
  description:
    "Checks that the TlsSenderCertificateName of every OnPremises inbound connector is exactly an accepted domain of the connector's tenant.",
  defaultSeverity: "mandatory",
  source: "MC1226222; Microsoft guidance on add-on services",
  scope: "connector",
  *check(context): Iterable<Draft> {
    for (const connector of context.inventory.inboundConnectors) {
      if (isOnPremisesPath(connector)) yield* acceptedNameDrafts(context, connector);
    }
  },
};
