import { createRequire } from "node:module";
import { type ProviderConfiguration, setProviderConfiguration } from "../components/providers/environment";
import { reveal } from "./secrets";

/**
 * The provider's configuration (`mailflow:token`, `mailflow:endpoint`, …): Pulumi's Node.js
 * provider server answers the engine's Configure call itself and never hands the values to the
 * provider, so this wraps that call, where the gRPC service is registered, to read them first.
 * Relies on @pulumi/pulumi/provider registering a service object with a `configure` method on
 * @grpc/grpc-js's Server (checked by test/unit/provider/configure.test.ts against the installed SDK).
 */

interface ConfigureRequest {
  getArgs(): { toJavaScript(): Record<string, unknown> } | undefined;
  getVariablesMap(): { entries(): Iterable<[string, string]> };
}

const KEYS = ["endpoint", "token", "clientId", "certificatePem", "privateKeyPem", "onPremisesShell"] as const;
/** Keys the engine itself adds to a provider's inputs. */
const ENGINE_KEYS = new Set(["version", "pluginDownloadURL", "pluginChecksums", "parameterization"]);
const SHELL_EXAMPLE = '["pwsh","-NoProfile","-NonInteractive","-Command","-"]';

/**
 * The configuration from a Configure request: its `args`, else the `mailflow:config:<key>`
 * variables. A key the provider does not know, or a value it cannot use, is a problem named with
 * the key, never dropped: the provider reports it at every check and refuses to use the rest.
 */
export function configurationFrom(request: ConfigureRequest): { values: ProviderConfiguration; problems: string[] } {
  const args = reveal<Record<string, unknown>>(request.getArgs()?.toJavaScript() ?? {});
  const variables = new Map<string, string>(request.getVariablesMap().entries());
  const given = new Map<string, unknown>();
  for (const [key, value] of variables) given.set(key.replace(/^mailflow:(config:)?/, ""), value);
  for (const [key, value] of Object.entries(args)) given.set(key, value);
  const values: ProviderConfiguration = {};
  const problems: string[] = [];
  for (const [key, raw] of given) {
    if (ENGINE_KEYS.has(key)) continue;
    if (!(KEYS as readonly string[]).includes(key)) {
      problems.push(
        `mailflow:${key} is not a setting of the mailflow provider; its settings are: ${KEYS.map((k) => `mailflow:${k}`).join(", ")}.`,
      );
      continue;
    }
    if (raw === undefined || raw === "") continue;
    if (key === "onPremisesShell") {
      let list: unknown = raw;
      if (typeof raw === "string") {
        try {
          list = JSON.parse(raw);
        } catch {
          list = undefined;
        }
      }
      if (Array.isArray(list) && list.length > 0 && list.every((word) => typeof word === "string" && word !== ""))
        values.onPremisesShell = list as string[];
      else problems.push(`mailflow:onPremisesShell is not a list of words; give a JSON list such as ${SHELL_EXAMPLE}.`);
      continue;
    }
    values[key as Exclude<(typeof KEYS)[number], "onPremisesShell">] = String(raw);
  }
  return { values, problems };
}

/** Installs the hook; call before `main`. */
export function captureConfiguration(): void {
  const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/provider"));
  const grpc = sdkRequire("@grpc/grpc-js") as {
    Server: { prototype: { addService(service: unknown, implementation: Record<string, unknown>): void } };
  };
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (this: unknown, service: unknown, implementation: Record<string, unknown>) {
    const configure = implementation.configure;
    if (typeof configure === "function") {
      implementation.configure = function (this: unknown, call: { request: ConfigureRequest }, callback: unknown) {
        const { values, problems } = configurationFrom(call.request);
        setProviderConfiguration(values, problems);
        return configure.call(this, call, callback);
      };
    }
    return addService.call(this, service, implementation);
  };
}
