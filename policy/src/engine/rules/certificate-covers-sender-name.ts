import type { Draft, Rule } from "../rule";
import { coveringName, exchangeTlsCertificateName, presentedNames } from "../x509";
import { isOnPremisesPath, isUnknown } from "./shared";

/**
 * The Send Connector's certificate is what Exchange Online sees; the paired OnPremises inbound
 * connector (same tenant) accepts the mail only if that certificate covers its
 * TlsSenderCertificateName (SAN, else CN; RFC 6125 single-label wildcards). TlsCertificateName must
 * name a real certificate in Exchange's "<I>issuer<S>subject" form, or Exchange presents another one.
 * Name checks run only when the inventory holds certificates: without them nothing can be compared.
 */
export const certificateCoversSenderName: Rule = {
  id: "certificate-covers-sender-name",
  description:
    "Checks that the certificate each Send Connector presents covers the TlsSenderCertificateName of its tenant's OnPremises inbound connector and that TlsCertificateName names that certificate.",
  defaultSeverity: "mandatory",
  source: "New-SendConnector docs; HCW output",
  scope: "inventory",
  *check({ inventory, index }): Iterable<Draft> {
    const haveCertificates = inventory.certificates.length > 0;
    for (const connector of inventory.sendConnectors) {
      if (
        isUnknown(connector, "tenants") ||
        isUnknown(connector, "tlsCertificateName") ||
        isUnknown(connector, "certificateThumbprint") ||
        isUnknown(connector, "certificatePem")
      ) {
        continue;
      }
      const certificate = index.certificateOf(connector);
      const tlsName = connector.tlsCertificateName;
      if (haveCertificates && tlsName !== undefined) {
        if (certificate && exchangeTlsCertificateName(certificate) !== tlsName) {
          yield {
            resource: connector.ref,
            message: `Send connector "${connector.name}" has 'TlsCertificateName' "${tlsName}", which does not match its certificate ${certificate.thumbprint} ("${exchangeTlsCertificateName(certificate)}").`,
            remediation: `Set-SendConnector "${connector.name}" -TlsCertificateName "${exchangeTlsCertificateName(certificate)}".`,
          };
        } else if (!certificate) {
          yield {
            resource: connector.ref,
            message: `Send connector "${connector.name}" has 'TlsCertificateName' "${tlsName}", which matches no certificate in the inventory.`,
            remediation:
              'Set-SendConnector -TlsCertificateName to "<I>issuer<S>subject" of the tenant\'s certificate exactly as Get-ExchangeCertificate shows it (see HCW output).',
          };
        }
      }

      for (const tenant of connector.tenants) {
        for (const inbound of index.inboundByTenant.get(tenant) ?? []) {
          const name = inbound.tlsSenderCertificateName;
          if (!isOnPremisesPath(inbound) || !name || isUnknown(inbound, "tlsSenderCertificateName")) continue;
          if (!certificate) {
            if (tlsName === undefined && connector.certificateThumbprint === undefined) {
              yield {
                resource: connector.ref,
                tenant,
                message: `Send connector "${connector.name}" sets no 'TlsCertificateName', so it cannot present the certificate for 'TlsSenderCertificateName' "${name}" of inbound connector "${inbound.name}".`,
                remediation: `Set-SendConnector "${connector.name}" -TlsCertificateName "<I>issuer<S>subject" of a certificate that covers ${name}.`,
                related: [inbound.ref],
              };
            }
            continue;
          }
          if (coveringName(certificate, name) !== undefined) continue;
          const presented = presentedNames(certificate);
          // Pointing the inbound connector at a name the certificate presents is a fix only when that
          // name is this tenant's own accepted domain and the certificate serves no other tenant;
          // otherwise it is the cross-tenant reuse that certificate-reuse and the accepted-domain rule refuse.
          const ownName =
            (index.tenantsByThumbprint.get(certificate.thumbprint)?.size ?? 0) <= 1
              ? presented.find(
                  (presentedName) => !presentedName.startsWith("*.") && index.tenants.get(tenant)?.acceptedDomains.includes(presentedName),
                )
              : undefined;
          yield {
            resource: connector.ref,
            tenant,
            message: `Certificate ${certificate.thumbprint} presented by send connector "${connector.name}" does not cover 'TlsSenderCertificateName' "${name}" of inbound connector "${inbound.name}" (it presents: ${presented.join(", ") || "no DNS names"}).`,
            remediation:
              ownName === undefined
                ? `Use a certificate of ${tenant}'s own whose SAN contains ${name} on Send Connector "${connector.name}" (Set-SendConnector -TlsCertificateName).`
                : `Use a certificate whose SAN contains ${name} on Send Connector "${connector.name}" (Set-SendConnector -TlsCertificateName), or set TlsSenderCertificateName of inbound connector "${inbound.name}" (Set-InboundConnector) to ${ownName}, an accepted domain of ${tenant} that the certificate presents.`,
            related: [inbound.ref, certificate.ref ?? { kind: "certificate", name: certificate.thumbprint }],
          };
        }
      }
    }
  },
};
