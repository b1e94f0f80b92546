import { readFileSync } from "node:fs";

/**
 * What a provider uses when a resource's own inputs do not say how to reach Exchange: a
 * `pulumi import` (the engine hands the provider the ID only) and connectors imported but never
 * updated since (their state holds no credentials). First the provider's configuration
 * (`pulumi config set --secret mailflow:token …`; provider/configure.ts receives it), then the
 * environment of `pulumi`.
 */

/** The provider configuration keys (`mailflow:<key>` in stack config). */
export interface ProviderConfiguration {
  endpoint?: string;
  token?: string;
  clientId?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  onPremisesShell?: string[];
}

let configuration: ProviderConfiguration = {};
let problems: readonly string[] = [];

/** Set by the provider plugin when the engine configures it, with what in it could not be used. */
export function setProviderConfiguration(values: ProviderConfiguration, found: readonly string[] = []): void {
  configuration = { ...values };
  problems = [...found];
}

/** What the provider's configuration holds that the provider cannot use (a key it does not know, a bad value). */
export function configurationProblems(): readonly string[] {
  return problems;
}

/** The configuration is used only when all of it could be read. */
function usableConfiguration(): ProviderConfiguration {
  if (problems.length > 0) throw new EnvironmentError(`The provider's configuration cannot be used: ${problems.join(" ")}`);
  return configuration;
}
export const ENVIRONMENT = {
  endpoint: "MAILFLOW_GUARD_EXO_ENDPOINT",
  token: "MAILFLOW_GUARD_EXO_TOKEN",
  clientId: "MAILFLOW_GUARD_EXO_CLIENT_ID",
  certificateFile: "MAILFLOW_GUARD_EXO_CERTIFICATE_FILE",
  privateKeyFile: "MAILFLOW_GUARD_EXO_PRIVATE_KEY_FILE",
  shell: "MAILFLOW_GUARD_ONPREM_SHELL",
} as const;

export class EnvironmentError extends Error {
  override readonly name = "EnvironmentError";
}

function readFile(variable: string, env: NodeJS.ProcessEnv): string {
  const path = env[variable] as string;
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new EnvironmentError(
      `${variable}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? "error"}); give the path of a PEM file.`,
    );
  }
}

/** The Exchange Online connection the environment describes, or an error that names the variables to set. */
export function connectionFromEnvironment(why: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const configuration = usableConfiguration();
  const fromConfig = configuration.endpoint ? { endpoint: configuration.endpoint } : {};
  if (configuration.token) return { ...fromConfig, token: configuration.token };
  if (configuration.clientId && configuration.certificatePem && configuration.privateKeyPem) {
    return {
      ...fromConfig,
      app: { clientId: configuration.clientId, certificatePem: configuration.certificatePem, privateKeyPem: configuration.privateKeyPem },
    };
  }
  const endpoint = env[ENVIRONMENT.endpoint] ? { endpoint: env[ENVIRONMENT.endpoint] } : fromConfig;
  if (env[ENVIRONMENT.token]) return { ...endpoint, token: env[ENVIRONMENT.token] };
  if (env[ENVIRONMENT.clientId] && env[ENVIRONMENT.certificateFile] && env[ENVIRONMENT.privateKeyFile]) {
    return {
      ...endpoint,
      app: {
        clientId: env[ENVIRONMENT.clientId],
        certificatePem: readFile(ENVIRONMENT.certificateFile, env),
        privateKeyPem: readFile(ENVIRONMENT.privateKeyFile, env),
      },
    };
  }
  throw new EnvironmentError(
    `${why}, so the provider reaches Exchange Online with its own configuration or the environment, and neither has credentials: run 'pulumi config set --secret mailflow:token <token>' (and 'pulumi config set mailflow:endpoint <url>' for another endpoint than the cloud's), or set ${ENVIRONMENT.token} (${ENVIRONMENT.endpoint}), or ${ENVIRONMENT.clientId}, ${ENVIRONMENT.certificateFile} and ${ENVIRONMENT.privateKeyFile} for app-only sign-in.`,
  );
}

/** The on-premises shell command: mailflow:onPremisesShell, else the environment's (a JSON array of strings, or words separated by spaces). */
export function shellFromEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  const configuration = usableConfiguration();
  if (configuration.onPremisesShell && configuration.onPremisesShell.length > 0) return [...configuration.onPremisesShell];
  const value = env[ENVIRONMENT.shell]?.trim();
  if (!value) return [];
  if (value.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((word) => typeof word === "string" && word !== "")) {
      throw new EnvironmentError(
        `${ENVIRONMENT.shell} starts with "[" but is not a JSON array of words, such as ["pwsh","-NoProfile","-Command","-"].`,
      );
    }
    return parsed as string[];
  }
  return value.split(/\s+/);
}
