import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AddOnServiceRelay } from "../../components";

/**
 * A signature service relaying Contoso's mail through Exchange Online with a certificate for
 * Contoso alone: its per-customer domain is added and verified as an accepted domain of the tenant.
 */
const root = resolve(__dirname, "..", "..", "..");
const config = new pulumi.Config();

export const connector = new AddOnServiceRelay("contoso-signatures", {
  tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "s5hg3dcg.smtp.vendor.example"] },
  service: "Vendor Signatures",
  certificate: { pem: readFileSync(resolve(root, "examples/certs/contoso-addon.pem"), "utf8") },
  certificateName: "s5hg3dcg.smtp.vendor.example",
  exchangeOnline: {
    endpoint: config.get("exchangeOnlineEndpoint") ?? "http://127.0.0.1:18710",
    token: config.getSecret("exchangeOnlineToken") ?? pulumi.secret("local-stand-in-token"),
  },
}).inboundConnector.identity;
