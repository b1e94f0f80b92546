import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { AdoptArgsSchema } from "../components/args";
import { CLOUD_NAMES, DEFAULT_CLOUD } from "../policy/src/engine/clouds";

/** The root project's stack config: tenants, certificate files and servers, declaratively. */
export const ProgramConfigSchema = z
  .object({
    sourceTransportServers: z.array(z.string().min(1)).min(1),
    tenants: z
      .array(
        z
          .object({
            name: z.string().min(1),
            acceptedDomains: z.array(z.string().min(1)).min(1),
            /** Path of the tenant's public certificate (PEM), relative to the project folder. */
            certificateFile: z.string().min(1),
            certificateName: z.string().min(1),
            senderIPAddresses: z.array(z.string()).optional(),
            /** Existing, unmanaged connectors to take over by name; what `mailflow-guard plan` writes. */
            adopt: AdoptArgsSchema.optional(),
          })
          .strict(),
      )
      .min(1),
    addOnRelays: z
      .array(
        z
          .object({
            tenant: z.string().min(1),
            service: z.string().min(1),
            certificateFile: z.string().min(1),
            certificateName: z.string().min(1),
          })
          .strict(),
      )
      .default([]),
    /** The tenants' cloud (Connect-ExchangeOnline -ExchangeEnvironmentName); its hosts are the defaults. */
    cloud: z.enum(CLOUD_NAMES).default(DEFAULT_CLOUD),
    /** Admin REST endpoint; default the cloud's (https://outlook.office365.com worldwide). */
    exchangeOnlineEndpoint: z.url().optional(),
    onPremisesShell: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type ProgramConfig = z.output<typeof ProgramConfigSchema>;

/** tenants[1].certificateName — the way a user finds the line in Pulumi.<stack>.yaml. */
function configPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function parseProgramConfig(raw: unknown, stackFile: string): ProgramConfig {
  const parsed = ProgramConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  - mailflow-guard:${configPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`Invalid stack configuration in ${stackFile}:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** Reads a certificate file named in config; a missing file names the config key and the path. */
export function readCertificateFile(file: string, key: string, projectDir: string): string {
  const path = resolve(projectDir, file);
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(
      `mailflow-guard:${key}: cannot read certificate file "${file}" (looked at ${path}). Export the public certificate as PEM to that path.`,
    );
  }
}
