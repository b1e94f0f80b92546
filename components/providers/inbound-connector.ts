import * as pulumi from "@pulumi/pulumi";
import type { InboundConnectorInputs } from "./inbound-connector-impl";
import { lazyProvider } from "./lazy-provider";

const provider = lazyProvider("inbound-connector-impl");

export type InboundConnectorArgs = {
  [K in keyof InboundConnectorInputs]: pulumi.Input<InboundConnectorInputs[K]>;
};

/** An Exchange Online inbound connector (`pulumi-nodejs:dynamic/mailflow:InboundConnector`). */
export class InboundConnector extends pulumi.dynamic.Resource {
  declare readonly identity: pulumi.Output<string>;
  declare readonly guid: pulumi.Output<string>;
  declare readonly tlsSenderCertificateName: pulumi.Output<string | undefined>;

  constructor(name: string, args: InboundConnectorArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { identity: undefined, guid: undefined, ...args },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }),
      "mailflow",
      "InboundConnector",
    );
  }
}
