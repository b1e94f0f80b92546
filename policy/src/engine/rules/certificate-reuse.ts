import type { Certificate, ResourceRef } from "../model";
import type { Draft, Rule } from "../rule";
import { presentedNames } from "../x509";

function certificateRef(certificate: Certificate): ResourceRef {
  return certificate.ref ?? { kind: "certificate", name: certificate.thumbprint };
}

function list(values: Iterable<string>): string {
  return [...values]
    .sort()
    .map((value) => `"${value}"`)
    .join(", ");
}

/**
 * Exchange Online attributes OnPremises mail by the certificate's domain, so one certificate, or
 * one certificate name on several certificates, serving two tenants is a single defect: mail of
 * one tenant can be attributed to the other.
 */
export const certificateReuse: Rule = {
  id: "certificate-not-shared-across-tenants",
  description: "Checks that no certificate (by SHA-1 thumbprint) and no certificate name serves more than one tenant.",
  defaultSeverity: "mandatory",
  source: "MC1226222",
  scope: "inventory",
  configKeys: ["orgAssignments"],
  *check({ inventory, index, config }): Iterable<Draft> {
    // 1. The same certificate (thumbprint) used on more than one tenant's path.
    for (const [thumbprint, tenants] of index.tenantsByThumbprint) {
      if (tenants.size < 2) continue;
      const certificate = index.certificatesByThumbprint.get(thumbprint);
      yield {
        resource: certificate ? certificateRef(certificate) : { kind: "certificate", name: thumbprint },
        tenants: [...tenants].sort(),
        message: `Certificate ${thumbprint} is used for ${tenants.size} tenants: ${list(tenants)}.`,
        remediation:
          "Issue a separate certificate per tenant and set each tenant's TlsCertificateName (Set-SendConnector) and TlsSenderCertificateName (Set-InboundConnector) to its own certificate.",
      };
    }

    // 2. The same certificate name claimed by OnPremises inbound connectors of different tenants,
    //    or presented by a certificate of one tenant while it is another tenant's certificate name.
    // Each claim keeps where it comes from, so the message can say which certificate and which SAN.
    type Claim = { readonly ref: ResourceRef; readonly via?: { readonly certificate: Certificate; readonly presented: string } };
    const tenantsByName = new Map<string, Map<string, Claim>>();
    const claim = (name: string, tenant: string, value: Claim) => {
      const owners = tenantsByName.get(name) ?? new Map<string, Claim>();
      if (!owners.has(tenant)) owners.set(tenant, value);
      tenantsByName.set(name, owners);
    };
    for (const connector of inventory.inboundConnectors) {
      if (connector.unknown.includes("tenant")) continue; // reported by security-values-known
      if (connector.tlsSenderCertificateName) claim(connector.tlsSenderCertificateName, connector.tenant, { ref: connector.ref });
    }
    for (const certificate of inventory.certificates) {
      const tenants = index.tenantsByThumbprint.get(certificate.thumbprint);
      if (!tenants) continue;
      for (const name of presentedNames(certificate)) {
        for (const tenant of tenants) claim(name, tenant, { ref: certificateRef(certificate), via: { certificate, presented: name } });
        // A wildcard covers every single-label child: claim it under the parent so a
        // connector name such as relay.contoso.com finds it (see below).
      }
    }
    // Wildcards presented by one tenant's certificate cover names claimed by others.
    const wildcardOwners = new Map<string, Map<string, Claim>>();
    for (const [name, owners] of tenantsByName) {
      if (name.startsWith("*.")) wildcardOwners.set(name.slice(2), owners);
    }
    for (const [name, owners] of tenantsByName) {
      const combined = new Map(owners);
      if (!name.startsWith("*.")) {
        const parent = name.slice(name.indexOf(".") + 1);
        for (const [tenant, value] of wildcardOwners.get(parent) ?? []) if (!combined.has(tenant)) combined.set(tenant, value);
      }
      if (combined.size < 2) continue;
      const refs = [...combined.values()].map((c) => c.ref);
      const origins = [...combined.entries()].sort(([a], [b]) => a.localeCompare(b));
      const fromCertificates = origins.some(([, c]) => c.via !== undefined);
      const origin = ([tenant, c]: [string, Claim]) => {
        if (c.via === undefined)
          return `"${tenant}" by ${c.ref.kind === "inboundConnector" ? "inbound connector" : c.ref.kind} "${c.ref.name}" (TlsSenderCertificateName)`;
        const { certificate, presented } = c.via;
        const names = presentedNames(certificate);
        const how = presented.startsWith("*.")
          ? `whose wildcard SAN "${presented}" covers it`
          : names.length > 1
            ? `which lists it among ${names.length} SANs (${names.join(", ")})`
            : certificate.dnsNames.length === 0
              ? "whose subject CN is it"
              : "whose only SAN it is";
        return `"${tenant}" by certificate ${certificate.thumbprint} (${certificate.subject}), ${how}`;
      };
      yield {
        resource: refs[0] as ResourceRef,
        tenants: origins.map(([tenant]) => tenant),
        message: `Certificate name "${name}" is used for ${combined.size} tenants: ${list(combined.keys())}. Exchange Online attributes mail by certificate domain, so it cannot tell these tenants apart.${fromCertificates ? ` Claimed for ${origins.map(origin).join("; ")}.` : ""}`,
        remediation:
          "Give each tenant a certificate with its own name (an accepted domain of that tenant only) and set TlsSenderCertificateName on each tenant's OnPremises inbound connector to it.",
        related: refs.slice(1),
      };
    }

    // 3. Cross-stack: another stack's tenant already owns this certificate or name.
    const org = config.orgAssignments;
    if (!org) return;
    const orgByThumbprint = new Map<string, string[]>();
    const orgByName = new Map<string, string[]>();
    // The config schema has already normalized the table's tenants, thumbprints and names.
    for (const [owner, assignment] of Object.entries(org.tenants)) {
      for (const thumbprint of assignment.certificateThumbprints)
        orgByThumbprint.set(thumbprint, [...(orgByThumbprint.get(thumbprint) ?? []), owner]);
      for (const name of assignment.certificateNames) orgByName.set(name, [...(orgByName.get(name) ?? []), owner]);
    }
    for (const [thumbprint, tenants] of index.tenantsByThumbprint) {
      for (const tenant of tenants) {
        const others = (orgByThumbprint.get(thumbprint) ?? []).filter((owner) => owner !== tenant);
        if (others.length === 0) continue;
        const certificate = index.certificatesByThumbprint.get(thumbprint);
        yield {
          resource: certificate ? certificateRef(certificate) : { kind: "certificate", name: thumbprint },
          tenant,
          message: `Certificate ${thumbprint} of tenant "${tenant}" is already assigned to ${list(others)} in the org-wide inventory.`,
          remediation: "Issue a separate certificate for this tenant; a certificate may serve one tenant only across all stacks.",
        };
      }
    }
    for (const connector of inventory.inboundConnectors) {
      const name = connector.tlsSenderCertificateName;
      if (!name) continue;
      const others = (orgByName.get(name) ?? []).filter((owner) => owner !== connector.tenant);
      if (others.length === 0) continue;
      yield {
        resource: connector.ref,
        tenant: connector.tenant,
        message: `Certificate name "${name}" of tenant "${connector.tenant}" is already assigned to ${list(others)} in the org-wide inventory.`,
        remediation: "Use a certificate name that is an accepted domain of this tenant only, and set TlsSenderCertificateName to it.",
      };
    }
  },
};
