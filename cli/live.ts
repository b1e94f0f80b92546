import { readFileSync } from "node:fs";
import { containsPrivateKey, secretShape } from "../policy/src/engine/secret-shape";
import { readAcceptedDomains, readInboundConnectors } from "../policy/src/sources/exchange";
import type { Collection } from "./collect";
import { UsageError } from "./errors";

/** The two reads a live audit needs; ExchangeOnlineClient (components/exo/client.ts) provides them. */
export interface LiveTenantReader {
  getAcceptedDomains(): Promise<readonly object[]>;
  getInboundConnectors(): Promise<readonly object[]>;
}

export interface LiveOptions {
  readonly tenants: readonly string[];
  readonly endpoint: string;
  /** Entra ID authority host of the tenant's cloud (--cloud). */
  readonly authorityHost?: string;
  readonly tokenEnv?: string;
  readonly clientId?: string;
  readonly certificateFile?: string;
  readonly privateKeyFile?: string;
}

export type LiveReaderFactory = (tenant: string, options: LiveOptions, env: NodeJS.ProcessEnv) => LiveTenantReader;

/** An environment variable name as shells write them. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * True when a --token-env argument is not a variable name: anything shaped like a secret (a JWT,
 * hex of a key's length, base64, a PEM block), or anything a shell would not take as a name.
 */
export function looksLikeAValue(text: string): boolean {
  return !VARIABLE_NAME.test(text) || secretShape(text) !== undefined;
}

/** Checks the authentication options once, before any tenant is read. */
export function validateLiveOptions(options: LiveOptions, env: NodeJS.ProcessEnv): void {
  if (options.tenants.length === 0) return;
  try {
    new URL(options.endpoint);
  } catch {
    throw new UsageError(`--endpoint "${options.endpoint}" is not an absolute URL such as https://outlook.office365.com`);
  }
  const app = options.clientId !== undefined || options.certificateFile !== undefined || options.privateKeyFile !== undefined;
  if (options.tokenEnv !== undefined && app) {
    throw new UsageError("--token-env and --client-id/--certificate-file/--private-key-file are alternatives; give one");
  }
  if (options.tokenEnv !== undefined) {
    if (looksLikeAValue(options.tokenEnv)) {
      // Never echo it: what was pasted here is most likely the token itself.
      throw new UsageError(
        `--token-env takes the name of the environment variable that holds the token (such as EXO_TOKEN), but what was given (${options.tokenEnv.length} characters) looks like a value, not a variable name, so it is not shown. Put the token in a variable (read -rs EXO_TOKEN; export EXO_TOKEN) and pass --token-env EXO_TOKEN`,
      );
    }
    if (!env[options.tokenEnv])
      throw new UsageError(`--token-env ${options.tokenEnv}: environment variable ${options.tokenEnv} is not set or empty`);
    return;
  }
  if (!app) throw new UsageError("--live needs --token-env VAR, or --client-id with --certificate-file and --private-key-file");
  for (const [flag, value] of [
    ["--client-id", options.clientId],
    ["--certificate-file", options.certificateFile],
    ["--private-key-file", options.privateKeyFile],
  ] as const) {
    if (value === undefined) throw new UsageError(`--live with app-only sign-in needs ${flag}`);
  }
  // The two files are checked here, once, so a swapped pair is one line naming the flag.
  if (containsPrivateKey(readOption("--certificate-file", options.certificateFile as string)))
    throw new UsageError(
      `--certificate-file ${options.certificateFile}: this is a private key, not a certificate. Give the certificate (-----BEGIN CERTIFICATE-----) to --certificate-file and the key to --private-key-file`,
    );
  if (!containsPrivateKey(readOption("--private-key-file", options.privateKeyFile as string)))
    throw new UsageError(
      `--private-key-file ${options.privateKeyFile}: holds no private key (-----BEGIN PRIVATE KEY-----). Give the app's private key in PEM form`,
    );
}

function readOption(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The real reader: ExchangeOnlineClient over the admin REST endpoint (or the local stand-in). */
export const exchangeOnlineReader: LiveReaderFactory = (tenant, options, env) => {
  // Loaded on demand so that export-only audits do not load MSAL.
  const exo = require("../components/exo/client") as typeof import("../components/exo/client");
  const auth =
    options.tokenEnv !== undefined
      ? new exo.StaticTokenProvider(env[options.tokenEnv] as string)
      : new exo.MsalCertificateTokenProvider({
          tenantId: tenant,
          clientId: options.clientId as string,
          certificatePem: readFileSync(options.certificateFile as string, "utf8"),
          privateKeyPem: readFileSync(options.privateKeyFile as string, "utf8"),
          ...(options.authorityHost ? { authorityHost: options.authorityHost } : {}),
          scope: `${new URL(options.endpoint).origin}/.default`,
        });
  return new exo.ExchangeOnlineClient({ endpoint: options.endpoint, tenant, auth });
};

/**
 * Reads each tenant live and feeds the same normalizer as the exports, so a live audit and the
 * audit of a saved export of the same tenant give the same findings. A tenant that cannot be
 * read is a problem (exit 2); the others are still audited.
 */
export async function readLiveTenants(
  options: LiveOptions,
  env: NodeJS.ProcessEnv,
  collection: Collection,
  factory: LiveReaderFactory = exchangeOnlineReader,
  onTenant: (tenant: string, index: number, total: number) => void = () => {},
): Promise<void> {
  for (const [index, tenant] of options.tenants.entries()) {
    onTenant(tenant, index + 1, options.tenants.length);
    const source = `live:${tenant}`;
    try {
      const reader = factory(tenant, options, env);
      const accepted = readAcceptedDomains(
        { value: await reader.getAcceptedDomains() },
        `${source}/Get-AcceptedDomain`,
        tenant.toLowerCase(),
      );
      collection.addProblems(accepted.problems);
      const domains = accepted.items[0];
      if (domains === undefined) {
        collection.notRead.push({ input: source, reason: "accepted domains could not be read" });
        continue;
      }
      const inbound = readInboundConnectors(
        { value: await reader.getInboundConnectors() },
        `${source}/Get-InboundConnector`,
        domains.name,
        {
          addOnService: collection.addOnService,
        },
      );
      collection.addProblems(inbound.problems);
      collection.addTenant(domains, inbound.items, source);
    } catch (error) {
      collection.problems.push(`${source}: cannot be read (${(error as Error).message})`);
      collection.notRead.push({ input: source, reason: "live read failed" });
    }
  }
}
