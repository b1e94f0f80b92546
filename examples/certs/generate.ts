import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeCertificatePem } from "../../test/support/certs";

/**
 * Writes the example certificates (public PEMs only; the throw-away signing key is discarded).
 * Run: npx tsc -p tsconfig.json && node dist/examples/certs/generate.js
 */
const certificates: Record<string, { dnsNames: string[]; organization: string; notBefore?: Date; notAfter?: Date }> = {
  "contoso-relay": { dnsNames: ["relay.contoso.com"], organization: "Contoso" },
  "fabrikam-relay": { dnsNames: ["relay.fabrikam.com"], organization: "Fabrikam" },
  "tailspin-relay": { dnsNames: ["relay.tailspintoys.com"], organization: "Tailspin Toys" },
  "contoso-addon": { dnsNames: ["s5hg3dcg.smtp.vendor.example"], organization: "Vendor for Contoso" },
  "vendor-shared": { dnsNames: ["smtp.vendor.example"], organization: "Vendor" },
  "fabrikam-shares-contoso-name": { dnsNames: ["relay.contoso.com"], organization: "Fabrikam" },
  "contoso-fabrikam-san": { dnsNames: ["relay.contoso.com", "relay.fabrikam.com"], organization: "Contoso and Fabrikam" },
  "contoso-expired": {
    dnsNames: ["relay.contoso.com"],
    organization: "Contoso",
    notBefore: new Date("2023-01-01T00:00:00Z"),
    notAfter: new Date("2025-01-01T00:00:00Z"),
  },
};
const dir = join(__dirname, "..", "..", "..", "examples", "certs");
for (const [name, options] of Object.entries(certificates)) {
  writeFileSync(join(dir, `${name}.pem`), makeCertificatePem(options));
}
