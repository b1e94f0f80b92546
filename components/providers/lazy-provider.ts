import type * as pulumi from "@pulumi/pulumi";

/**
 * A dynamic provider whose code is loaded from its compiled file when Pulumi runs it, instead of
 * being serialized with every closure it touches: only the file path and these small functions
 * end up in state.
 */
export function lazyProvider(implementation: string): pulumi.dynamic.ResourceProvider {
  // biome-ignore lint/suspicious/noExplicitAny: the dynamic provider protocol passes untyped inputs
  type Any = any;
  return {
    create: (inputs: Any) => require(implementation).create(inputs),
    diff: (id: string, olds: Any, news: Any) => require(implementation).diff(id, olds, news),
    update: (id: string, olds: Any, news: Any) => require(implementation).update(id, olds, news),
    read: (id: string, props: Any) => require(implementation).read(id, props),
    delete: (id: string, props: Any) => require(implementation).remove(id, props),
  };
}
