import * as pulumi from "@pulumi/pulumi";
import type { InboundConnectorInputs } from "./inbound-connector-impl";

/**
 * The provider's code is loaded from its compiled file when Pulumi runs it, instead of being
 * serialized with every closure it touches: only this path and the method names end up in state.
 */
const IMPLEMENTATION = require.resolve("./inbound-connector-impl");

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
