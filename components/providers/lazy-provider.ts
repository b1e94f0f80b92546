import type * as pulumi from "@pulumi/pulumi";

/** The provider implementations, by their subpath export `mailflow-guard/providers/<name>`. */
export type ProviderModule = "send-connector-impl" | "inbound-connector-impl";

/**
 * A dynamic provider whose code is loaded when Pulumi runs it, by package name from the project
 * the provider runs in (`mailflow-guard/providers/<module>`), instead of being serialized with
 * every closure it touches. State then holds only these small functions and the module's name:
 * no path of the machine that wrote it, so a CI runner with the checkout elsewhere, or a
 * colleague, can refresh, update and destroy the same stack after `npm install`.
 *
 * State written by mailflow-guard 0.1.0 named the implementation by absolute path. `diff` reports
 * a change whenever the serialized provider differs, so the first `pulumi up` with this version
 * rewrites every connector's provider (without touching Exchange: `update` sees nothing else
 * changed and keeps the recorded outputs).
 */
export function lazyProvider(module: ProviderModule): pulumi.dynamic.ResourceProvider {
  // biome-ignore lint/suspicious/noExplicitAny: the dynamic provider protocol passes untyped inputs
  type Any = any;
  const load = (): Any => {
    const spec = `mailflow-guard/providers/${module}`;
    let path: string;
    try {
      path = require.resolve(spec, { paths: [process.cwd()] });
    } catch {
      throw new Error(
        `cannot load ${spec} from ${process.cwd()}: mailflow-guard is not installed in this Pulumi project. Run 'npm install' in the project folder (its package.json must depend on mailflow-guard).`,
      );
    }
    return require(path);
  };
  const providerChanged = (olds: Any, news: Any): boolean =>
    typeof olds?.__provider === "string" && typeof news?.__provider === "string" && olds.__provider !== news.__provider;
  return {
    create: (inputs: Any) => load().create(inputs),
    diff: async (id: string, olds: Any, news: Any) => {
      const result = await load().diff(id, olds, news);
      return !result.changes && providerChanged(olds, news) ? { ...result, changes: true } : result;
    },
    update: async (id: string, olds: Any, news: Any) => {
      const implementation = load();
      const { changes, replaces } = await implementation.diff(id, olds, news);
      // Only the provider's own code changed: keep what Exchange holds and what state recorded.
      if (!changes && (replaces ?? []).length === 0) return { outs: { ...olds } };
      return implementation.update(id, olds, news);
    },
    read: (id: string, props: Any) => load().read(id, props),
    delete: (id: string, props: Any) => load().remove(id, props),
  };
}
