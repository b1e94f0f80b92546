import * as pulumi from "@pulumi/pulumi";
import { LEGACY_SEND_CONNECTOR_TYPE, SEND_CONNECTOR_TYPE } from "../../policy/src/sources/pulumi";
import { PACKAGE_VERSION } from "../package-version";
import type { SendConnectorInputs } from "./send-connector-impl";

/** What the provider's check fills in when a program leaves it out: Exchange's defaults, the owner from the stack. */
type Defaulted =
  | "owner"
  | "tenants"
  | "smartHosts"
  | "dnsRoutingEnabled"
  | "requireTls"
  | "tlsAuthLevel"
  | "cloudServicesMailEnabled"
  | "shell"
  | "shellEnv";

export type SendConnectorArgs = {
  [K in keyof (Omit<SendConnectorInputs, Defaulted> & Partial<Pick<SendConnectorInputs, Defaulted>>)]: pulumi.Input<SendConnectorInputs[K]>;
};

/**
 * An on-premises Exchange Send Connector (`mailflow:exchange:SendConnector`), served by the
 * package's provider plugin `pulumi-resource-mailflow`. Stacks written by 0.1.x, where it was a
 * dynamic-provider resource, are carried over by the alias.
 */
export class SendConnector extends pulumi.CustomResource {
  declare readonly identity: pulumi.Output<string>;
  /** The Exchange Management Shell script last run for this connector. */
  declare readonly script: pulumi.Output<string>;

  constructor(name: string, args: SendConnectorArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      SEND_CONNECTOR_TYPE,
      name,
      { identity: undefined, script: undefined, comment: undefined, ...args },
      pulumi.mergeOptions(opts, {
        version: PACKAGE_VERSION,
        aliases: [{ type: LEGACY_SEND_CONNECTOR_TYPE }],
        additionalSecretOutputs: ["shellEnv"],
      }),
    );
  }
}
