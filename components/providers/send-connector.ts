import * as pulumi from "@pulumi/pulumi";
import { lazyProvider } from "./lazy-provider";
import type { SendConnectorInputs } from "./send-connector-impl";

const provider = lazyProvider("send-connector-impl");

export type SendConnectorArgs = {
  [K in keyof SendConnectorInputs]: pulumi.Input<SendConnectorInputs[K]>;
};

/** An on-premises Exchange Send Connector (`pulumi-nodejs:dynamic/mailflow:SendConnector`). */
export class SendConnector extends pulumi.dynamic.Resource {
  declare readonly identity: pulumi.Output<string>;
  /** The Exchange Management Shell script last run for this connector. */
  declare readonly script: pulumi.Output<string>;

  constructor(name: string, args: SendConnectorArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { identity: undefined, script: undefined, ...args },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["shellEnv"] }),
      "mailflow",
      "SendConnector",
    );
  }
}
