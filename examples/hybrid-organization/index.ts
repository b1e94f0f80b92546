import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { HybridOrganization } from "../../components";

/** Three tenants of one on-premises organization, each with its own certificate and Send Connector. */
const root = resolve(__dirname, "..", "..", "..");
const pem = (file: string) => readFileSync(resolve(root, "examples/certs", file), "utf8");
const config = new pulumi.Config();

const organization = new HybridOrganization("hybrid", {
  sourceTransportServers: ["EX01", "EX02"],
  exchangeOnline: {
    endpoint: config.get("exchangeOnlineEndpoint") ?? "http://127.0.0.1:18710",
    token: config.getSecret("exchangeOnlineToken") ?? pulumi.secret("local-stand-in-token"),
  },
  tenants: [
    {
      tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "relay.contoso.com"] },
      certificate: { pem: pem("contoso-relay.pem") },
      certificateName: "relay.contoso.com",
    },
    {
      tenant: { name: "fabrikam.onmicrosoft.com", acceptedDomains: ["fabrikam.com", "relay.fabrikam.com"] },
      certificate: { pem: pem("fabrikam-relay.pem") },
      certificateName: "relay.fabrikam.com",
    },
    {
      tenant: { name: "tailspintoys.onmicrosoft.com", acceptedDomains: ["tailspintoys.com", "relay.tailspintoys.com"] },
      certificate: { pem: pem("tailspin-relay.pem") },
      certificateName: "relay.tailspintoys.com",
    },
  ],
});

export const certificates = organization.pairs.map((pair) => pair.certificateThumbprint);
