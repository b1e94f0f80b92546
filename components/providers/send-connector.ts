import * as pulumi from "@pulumi/pulumi";
import type { SendConnectorInputs } from "./send-connector-impl";

/**
 * The provider's code is loaded from its compiled file when Pulumi runs it, instead of being
 * serialized with every closure it touches: only this path and the method names end up in state.
 */
const IMPLEMENTATION = require.resolve("./send-connector-impl");

const provider: pulumi.dynamic.ResourceProvider = {
  // biome-ignore lint/suspicious/noExplicitAny: the dynamic provider protocol passes untyped inputs
  create: (inputs: any) => require(IMPLEMENTATION).create(inputs),
  // biome-ignore lint/suspicious/noExplicitAny: as above
  diff: (id: string, olds: any, news: any) => require(IMPLEMENTATION).diff(id, olds, news),
  // biome-ignore lint/suspicious/noExplicitAny: as above
  update: (id: string, olds: any, news: any) => require(IMPLEMENTATION).update(id, olds, news),
  // biome-ignore lint/suspicious/noExplicitAny: as above
  read: (id: string, props: any) => require(IMPLEMENTATION).read(id, props),
  // biome-ignore lint/suspicious/noExplicitAny: as above
  delete: (id: string, props: any) => require(IMPLEMENTATION).remove(id, props),
};

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
