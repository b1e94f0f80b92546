import { dirname } from "node:path";

/**
 * @pulumi/policy hands each policy only its own entry of the policy config, so on its own the pack
 * could neither refuse a mistyped policy name (the entry is silently unused) nor give a rule's
 * "-advisory" companion the settings written under the rule. The whole config arrives in one
 * Configure call from the engine; this wraps that call so the pack reads the whole file with the
 * engine's parser, and refuses it there, before any resource is analyzed.
 *
 * It relies on @pulumi/policy registering its analyzer with @grpc/grpc-js's Server.addService and
 * an implementation named `configure` (true of 1.5 through 1.21; a unit test checks the installed
 * version). If that ever changes, the hook reports false and the pack falls back to each policy's
 * own entry: unknown settings are still refused, only unknown policy names go unnoticed.
 */

export type RawPackConfig = Record<string, Record<string, unknown>>;

// biome-ignore lint/suspicious/noExplicitAny: gRPC's service implementation and request types are untyped here
type Any = any;

/** Enforcement levels as the analyzer protocol numbers them (pulumi/proto analyzer.proto). */
const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

function readRequest(request: Any): RawPackConfig {
  const config: RawPackConfig = {};
  for (const [name, entry] of request.getPolicyconfigMap().entries() as Iterable<[string, Any]>) {
    const properties = (entry.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const level = LEVELS[entry.getEnforcementlevel() as number];
    config[name] = { ...properties, ...(level ? { enforcementLevel: level } : {}) };
  }
  return config;
}

/** An error gRPC carries as one readable paragraph: its stack is its message, not frames. */
export function paragraphError(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

/** Installs the hook; `check` throws to refuse the config. Returns whether the hook is in place. */
export function installConfigureHook(check: (config: RawPackConfig) => void): boolean {
  let grpc: Any;
  try {
    const policyDir = dirname(require.resolve("@pulumi/policy"));
    grpc = require(require.resolve("@grpc/grpc-js", { paths: [policyDir] }));
  } catch {
    return false;
  }
  const server = grpc?.Server?.prototype;
  if (!server || typeof server.addService !== "function") return false;
  const original = server.addService;
  server.addService = function addService(this: unknown, service: Any, implementation: Any) {
    server.addService = original;
    const configure = implementation?.configure;
    if (typeof configure !== "function") return original.call(this, service, implementation);
    const wrapped = {
      ...implementation,
      configure(call: Any, callback: (error: Error | null, response?: unknown) => void) {
        try {
          check(readRequest(call.request));
        } catch (error) {
          callback(paragraphError((error as Error).message ?? String(error)));
          return;
        }
        return configure.call(implementation, call, callback);
      },
    };
    return original.call(this, service, wrapped);
  };
  return true;
}
