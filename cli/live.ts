import { readFileSync } from "node:fs";
import type { RequestPacer, TokenProvider } from "../components/exo/client";
import type { InboundConnector, Tenant } from "../policy/src/engine";
import { containsPrivateKey, secretShape } from "../policy/src/engine/secret-shape";
import { decodeExportText, formatProblem, readAcceptedDomains, readInboundConnectors } from "../policy/src/sources/exchange";
import { type Collection, displayPath } from "./collect";
import { UsageError } from "./errors";
import { SharedPacer } from "./live/pacer";
import { type LiveProgress, type LiveSummary, progressPrinter } from "./live/summary";
import { listTenants, type TenantList } from "./live/tenants-file";

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
  /** Tenants read at once (--concurrency); default DEFAULT_CONCURRENCY. */
  readonly concurrency?: number;
  /** Retries the whole run may make (--retry-budget); default defaultRetryBudget(tenants). */
  readonly retryBudget?: number;
}

/** What the readers of one run share: the throttling gate and retry budget, and one token provider per tenant authority. */
export interface LiveRunContext {
  readonly pacer: RequestPacer;
  /** The token provider for this tenant's authority, created once and reused for all its requests. */
  readonly auth: (tenant: string) => TokenProvider;
}

export type LiveReaderFactory = (tenant: string, options: LiveOptions, env: NodeJS.ProcessEnv, run: LiveRunContext) => LiveTenantReader;

/**
 * Tenants read at once by default. Measured against the stand-in at 150 ms per request on a shared
 * 2-core machine (BENCHMARKS.md, "Live audit"): see docs/live-audit.md for the figures behind it.
 */
export const DEFAULT_CONCURRENCY = 64;
export const MAX_CONCURRENCY = 256;

/** The run's retry budget by default: one retry per tenant on average, at least 100. */
export function defaultRetryBudget(tenants: number): number {
  return Math.max(100, tenants);
}

function positiveInteger(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(
      `--${flag} "${value}" is not a whole number from 1 to ${max}. Give, for example, --${flag} ${flag === "concurrency" ? DEFAULT_CONCURRENCY : 1000}`,
    );
  }
  return Number(value);
}

/** The live part of the command line: the tenants of --live and --live-tenants (each once), and the limits. */
export function liveArguments(
  values: { live?: string[]; liveTenants?: string; concurrency?: string; retryBudget?: string },
  cwd: string,
  resolvePath: (path: string) => string,
): TenantList & { concurrency?: number; retryBudget?: number } {
  let file: { text: string; shown: string } | undefined;
  if (values.liveTenants !== undefined) {
    const path = resolvePath(values.liveTenants);
    try {
      // Windows PowerShell's Out-File and > write UTF-16 with a BOM: decoded like the exports.
      file = { text: decodeExportText(readFileSync(path)), shown: displayPath(path, cwd) };
    } catch (error) {
      throw new UsageError(
        `--live-tenants ${values.liveTenants}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a file with one initial domain or tenant ID per line`,
      );
    }
  }
  const concurrency = positiveInteger("concurrency", values.concurrency, MAX_CONCURRENCY);
  const retryBudget = positiveInteger("retry-budget", values.retryBudget, 1_000_000);
  return {
    ...listTenants(values.live ?? [], file),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(retryBudget !== undefined ? { retryBudget } : {}),
  };
}

/** Repeated tenants become warnings; malformed lines of the file become problems and inputs not read (exit 2). */
export function noteTenantList(list: TenantList, collection: Collection, warn: (line: string) => void): void {
  for (const line of list.duplicates) warn(line);
  for (const { input, message } of list.malformed) {
    collection.problems.push(message);
    collection.notRead.push({ input, reason: "not an initial domain or tenant ID" });
  }
}

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

/**
 * How the run signs in: one static token for all tenants, or, for app-only sign-in, the certificate
 * and key read once and one MSAL application per tenant authority (MSAL caches its token), so a
 * tenant's requests and retries reuse one token and no request signs in on its own.
 */
export function liveAuthentication(options: LiveOptions, env: NodeJS.ProcessEnv): (tenant: string) => TokenProvider {
  // Loaded on demand so that export-only audits do not load MSAL.
  const exo = require("../components/exo/client") as typeof import("../components/exo/client");
  if (options.tokenEnv !== undefined) {
    const token = new exo.StaticTokenProvider(env[options.tokenEnv] as string);
    return () => token;
  }
  const read = (flag: string, path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new UsageError(`${flag} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const certificatePem = read("--certificate-file", options.certificateFile as string);
  const privateKeyPem = read("--private-key-file", options.privateKeyFile as string);
  const providers = new Map<string, TokenProvider>();
  const provider = (tenant: string) => {
    const key = tenant.toLowerCase();
    let found = providers.get(key);
    if (found === undefined) {
      found = new exo.MsalCertificateTokenProvider({
        tenantId: tenant,
        clientId: options.clientId as string,
        certificatePem,
        privateKeyPem,
        ...(options.authorityHost ? { authorityHost: options.authorityHost } : {}),
        scope: `${new URL(options.endpoint).origin}/.default`,
      });
      providers.set(key, found);
    }
    return found;
  };
  const first = options.tenants[0];
  if (first !== undefined) {
    // A certificate or key that cannot be used fails every tenant alike: say so once, before reading.
    try {
      provider(first);
    } catch (error) {
      throw new UsageError(
        `--certificate-file/--private-key-file: ${(error as Error).message.replace(/^MsalCertificateTokenProvider: /, "")}`,
      );
    }
  }
  return provider;
}

/** The real reader: ExchangeOnlineClient over the admin REST endpoint (or the local stand-in). */
export const exchangeOnlineReader: LiveReaderFactory = (tenant, options, _env, run) => {
  const exo = require("../components/exo/client") as typeof import("../components/exo/client");
  return new exo.ExchangeOnlineClient({ endpoint: options.endpoint, tenant, auth: run.auth(tenant), pacer: run.pacer });
};

/** One tenant's reading, normalized, waiting for its turn to join the collection. */
interface Outcome {
  readonly problems: string[];
  readonly tenant?: { readonly domains: Tenant; readonly inbound: readonly InboundConnector[]; readonly source: string };
  readonly notRead?: { readonly input: string; readonly reason: string };
}

/** The short reason under "Not read"; the whole message is in the problems. */
function notReadReason(error: unknown): string {
  const e = error as { name?: string; cmdletName?: string; status?: number; code?: string; attempts?: number };
  if (e?.name !== "ExchangeOnlineError") return "live read failed";
  const what = e.status === undefined ? e.code : `${e.status} ${e.code}`;
  return `${e.cmdletName} failed (${what}) after ${e.attempts} ${e.attempts === 1 ? "attempt" : "attempts"}`;
}

/**
 * Reads the tenants live, up to --concurrency at once, and feeds the same normalizer as the
 * exports, so a live audit and the audit of a saved export of the same tenants give the same
 * findings. Each tenant's answers are normalized as they arrive (the raw JSON is dropped at once)
 * and join the collection in the order the tenants were given, so the findings do not depend on
 * which tenant answered first. A tenant that cannot be read is a problem (exit 2) and is named
 * under "Not read" with the reason; the others are still audited.
 */
export async function readLiveTenants(
  options: LiveOptions,
  env: NodeJS.ProcessEnv,
  collection: Collection,
  factory: LiveReaderFactory = exchangeOnlineReader,
  progressLine: (line: string) => void = () => {},
  now: () => number = () => performance.now(),
): Promise<LiveSummary | undefined> {
  const total = options.tenants.length;
  if (total === 0) return undefined;
  const concurrency = Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, total);
  progressLine(`reading ${total} live tenants, up to ${concurrency} at a time...`);
  const onProgress = progressPrinter(progressLine, now);
  const retryBudget = options.retryBudget ?? defaultRetryBudget(total);
  const pacer = new SharedPacer({ retryBudget });
  const run: LiveRunContext = { pacer, auth: liveAuthentication(options, env) };
  const started = now();

  const readOne = async (tenant: string): Promise<Outcome> => {
    const source = `live:${tenant}`;
    const problems: string[] = [];
    try {
      const reader = factory(tenant, options, env, run);
      const accepted = readAcceptedDomains(
        { value: await reader.getAcceptedDomains() },
        `${source}/Get-AcceptedDomain`,
        tenant.toLowerCase(),
      );
      problems.push(...accepted.problems.map(formatProblem));
      const domains = accepted.items[0];
      if (domains === undefined) return { problems, notRead: { input: source, reason: "accepted domains could not be read" } };
      const inbound = readInboundConnectors(
        { value: await reader.getInboundConnectors() },
        `${source}/Get-InboundConnector`,
        domains.name,
        {
          addOnService: collection.addOnService,
        },
      );
      problems.push(...inbound.problems.map(formatProblem));
      return { problems, tenant: { domains, inbound: inbound.items, source } };
    } catch (error) {
      problems.push(`${source}: cannot be read (${(error as Error).message})`);
      return { problems, notRead: { input: source, reason: notReadReason(error) } };
    }
  };

  // Outcomes that arrived before an earlier tenant's: held until it joins, then added in order.
  const waiting = new Map<number, Outcome>();
  let joined = 0;
  let done = 0;
  let notRead = 0;
  const join = () => {
    for (let outcome = waiting.get(joined); outcome !== undefined; outcome = waiting.get(joined)) {
      waiting.delete(joined++);
      collection.problems.push(...outcome.problems);
      if (outcome.notRead) collection.notRead.push(outcome.notRead);
      if (outcome.tenant) collection.addTenant(outcome.tenant.domains, outcome.tenant.inbound, outcome.tenant.source);
    }
  };
  const progress = (): LiveProgress => {
    const elapsedMs = now() - started;
    const perSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    return {
      done,
      total,
      notRead,
      elapsedMs,
      tenantsPerSecond: perSecond,
      remainingMs: perSecond > 0 ? ((total - done) * 1000) / perSecond : undefined,
      ...pacer.counts,
    };
  };

  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const outcome = await readOne(options.tenants[index] as string);
      done++;
      if (outcome.notRead) notRead++;
      waiting.set(index, outcome);
      join();
      onProgress(progress());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const last = progress();
  return {
    tenants: total,
    read: total - notRead,
    notRead,
    concurrency,
    elapsedMs: Math.round(last.elapsedMs),
    tenantsPerSecond: Math.round(last.tenantsPerSecond * 10) / 10,
    requests: last.requests,
    retries: last.retries,
    retryBudget,
    throttled: last.throttled,
  };
}
