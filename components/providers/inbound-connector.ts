import * as pulumi from "@pulumi/pulumi";
import { INBOUND_CONNECTOR_TYPE, LEGACY_INBOUND_CONNECTOR_TYPE } from "../../policy/src/sources/pulumi";
import { PACKAGE_VERSION } from "../package-version";
import type { InboundConnectorInputs } from "./inbound-connector-impl";

/** What the provider's check fills in when a program leaves it out: Exchange's defaults, the owner from the stack. */
type Defaulted =
  | "owner"
  | "connection"
  | "connectorType"
  | "senderIPAddresses"
  | "senderDomains"
  | "requireTls"
  | "restrictDomainsToCertificate"
  | "restrictDomainsToIPAddresses"
  | "treatMessagesAsInternal"
  | "cloudServicesMailEnabled";

export type InboundConnectorArgs = {
  [K in keyof (Omit<InboundConnectorInputs, Defaulted> & Partial<Pick<InboundConnectorInputs, Defaulted>>)]: pulumi.Input<
    InboundConnectorInputs[K]
  >;
};

/**
 * An Exchange Online inbound connector (`mailflow:exchange:InboundConnector`), served by the
 * package's provider plugin `pulumi-resource-mailflow`. Stacks written by 0.1.x, where it was a
 * dynamic-provider resource, are carried over by the alias.
 */
export class InboundConnector extends pulumi.CustomResource {
  declare readonly identity: pulumi.Output<string>;
  declare readonly guid: pulumi.Output<string>;
  declare readonly tlsSenderCertificateName: pulumi.Output<string | undefined>;

  constructor(name: string, args: InboundConnectorArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      INBOUND_CONNECTOR_TYPE,
      name,
      { identity: undefined, guid: undefined, comment: undefined, ...args },
      pulumi.mergeOptions(opts, {
        version: PACKAGE_VERSION,
        aliases: [{ type: LEGACY_INBOUND_CONNECTOR_TYPE }],
        additionalSecretOutputs: ["connection", "pairedSendConnector"],
      }),
    );
  }
}
