import type { Draft, Rule } from "../rule";
import { presentedNames } from "../x509";
import { certificateRef, quotedList } from "./shared";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * An expired certificate breaks the TLS path (mandatory); one inside the warning window soon will
 * (advisory). Only certificates on a tenant path are checked (dedicated to a tenant, or presented by a
 * connector): a server export lists every certificate in the store, and an unused expired one is
 * harmless. Validity is judged at config.now.
 */
export const certificateValidity: Rule = {
  id: "certificate-validity",
  description: "Checks that no certificate on a tenant's mail path has expired or expires within the warning window.",
  defaultSeverity: "mandatory",
  source: "CSS-Exchange HealthChecker",
  scope: "inventory",
  advisoryPart: "Checks that no certificate on a tenant's mail path expires within the warning window.",
  configKeys: ["expiryWarningDays"],
  *check({ inventory, index, config }): Iterable<Draft> {
    const now = config.now.getTime();
    for (const certificate of inventory.certificates) {
      const tenants = index.tenantsByThumbprint.get(certificate.thumbprint);
      if (!tenants || tenants.size === 0) continue;
      const notAfter = certificate.notAfter.getTime();
      const names = quotedList(presentedNames(certificate)) || `"${certificate.subject}"`;
      const date = certificate.notAfter.toISOString().slice(0, 10);
      const tenant = tenants.size === 1 ? { tenant: [...tenants][0] as string } : {};
      const remediation =
        "Renew it, enable the new certificate for SMTP (Enable-ExchangeCertificate -Services SMTP) and point Set-SendConnector -TlsCertificateName at it.";
      if (notAfter <= now) {
        yield {
          resource: certificateRef(certificate),
          ...tenant,
          severity: "mandatory",
          message: `Certificate ${certificate.thumbprint} (${names}) expired on ${date}; TLS to Exchange Online with it fails.`,
          remediation,
        };
      } else if (notAfter - now <= config.expiryWarningDays * DAY_MS) {
        yield {
          resource: certificateRef(certificate),
          ...tenant,
          severity: "advisory",
          message: `Certificate ${certificate.thumbprint} (${names}) expires on ${date}, within the ${config.expiryWarningDays}-day warning window.`,
          remediation,
        };
      }
    }
  },
};
