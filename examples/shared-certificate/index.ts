import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { TenantConnectorPair } from "../../components";

/**
 * A mistake that looks harmless: one certificate whose SAN carries both tenants' relay names,
 * used by two separate connector pairs. Each pair on its own is valid; together Exchange Online
 * can attribute one tenant's mail to the other (MC1226222). `pulumi preview --policy-pack` stops it.
 */
const root = resolve(__dirname, "..", "..", "..");
const pem = readFileSync(resolve(root, "examples/certs/contoso-fabrikam-san.pem"), "utf8");
const config = new pulumi.Config();
const exchangeOnline = {
  endpoint: config.get("exchangeOnlineEndpoint") ?? "http://127.0.0.1:18710",
  token: pulumi.secret(process.env.MAILFLOW_GUARD_EXO_TOKEN ?? "local-stand-in-token"),
};

export const contoso = new TenantConnectorPair("contoso", {
  tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "relay.contoso.com"] },
  certificate: { pem },
  certificateName: "relay.contoso.com",
  sendConnector: { sourceTransportServers: ["EX01"] },
  exchangeOnline,
}).certificateThumbprint;

export const fabrikam = new TenantConnectorPair("fabrikam", {
  tenant: { name: "fabrikam.onmicrosoft.com", acceptedDomains: ["fabrikam.com", "relay.fabrikam.com"] },
  certificate: { pem },
  certificateName: "relay.fabrikam.com",
  sendConnector: { sourceTransportServers: ["EX01"] },
  exchangeOnline,
}).certificateThumbprint;
