import { createRequire } from "node:module";
import { setProviderConfiguration } from "../components/providers/environment";
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

/** The configuration from a Configure request: its `args`, else the `mailflow:config:<key>` variables. */
export function configurationFrom(request: ConfigureRequest): Record<string, unknown> {
  const args = reveal<Record<string, unknown>>(request.getArgs()?.toJavaScript() ?? {});
  const variables = new Map<string, string>(request.getVariablesMap().entries());
  const values: Record<string, unknown> = {};
  for (const key of KEYS) {
    const raw = args[key] ?? variables.get(`mailflow:config:${key}`) ?? variables.get(`mailflow:${key}`);
    if (raw === undefined || raw === "") continue;
    if (key === "onPremisesShell") {
      const list = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
      if (Array.isArray(list) && list.every((word) => typeof word === "string")) values[key] = list;
      continue;
    }
    values[key] = String(raw);
  }
  return values;
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
        setProviderConfiguration(configurationFrom(call.request));
        return configure.call(this, call, callback);
      };
    }
    return addService.call(this, service, implementation);
  };
}
