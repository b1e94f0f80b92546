/**
 * Exchange Online admin REST client: the InvokeCommand endpoint that ExchangeOnlineManagement v3
 * uses (`POST {endpoint}/adminapi/beta/{tenant}/InvokeCommand`). Used by the Pulumi dynamic
 * provider and the audit CLI; points at Local Exchange Online (a local stand-in for Exchange
 * Online, not Microsoft's service) in tests and the demo.
 *
 * Tokens and private keys never appear in error messages or logs.
 */
import { createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import type { ConfidentialClientApplication, INetworkModule } from "@azure/msal-node";
import { CLOUD_NAMES, CLOUDS } from "../../policy/src/engine/clouds";

// Worldwide defaults from the engine's cloud table; other clouds pass their own (components' `cloud`, CLI --cloud).
export const DEFAULT_EXCHANGE_ONLINE_ENDPOINT = CLOUDS.O365Default.adminEndpoint;
export const DEFAULT_AUTHORITY_HOST = CLOUDS.O365Default.authorityHost;
const SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
/**
 * What public clients of the admin API send as X-ClientApplication (ExchangeOnlineManagement, and
 * clients written after it such as KelvinTegelaar/CIPP-API New-ExoBulkRequest.ps1); the service's
 * JSON responses are shaped for it.
 */
const CLIENT_APPLICATION = "ExoManagementModule";

/**
 * The X-AnchorMailbox header: the organization's system mailbox. The UPN form resolves only for the
 * tenant's initial domain (contoso.onmicrosoft.com, or its twin in another cloud); for a tenant given
 * by its id (GUID) or a custom domain, public clients use the APP form with the tenant as given.
 */
export function anchorMailbox(tenant: string): string {
  const initialDomain = CLOUD_NAMES.some((cloud) => tenant.toLowerCase().endsWith(`.${CLOUDS[cloud].tenantSuffix}`));
  return initialDomain ? `UPN:${SYSTEM_MAILBOX}@${tenant}` : `APP:${SYSTEM_MAILBOX}@${tenant}`;
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

/** Supplies bearer tokens for the admin API. Implementations cache as they see fit. */
export interface TokenProvider {
  getToken(): Promise<string>;
}

/** A fixed token — for Local Exchange Online, or a token obtained elsewhere. */
export class StaticTokenProvider implements TokenProvider {
  readonly #token: string;

  constructor(token: string) {
    if (typeof token !== "string" || token.trim() === "") {
      throw new Error("StaticTokenProvider needs a non-empty token.");
    }
    this.#token = token;
  }

  getToken(): Promise<string> {
    return Promise.resolve(this.#token);
  }
}

export interface MsalCertificateTokenProviderOptions {
  /** Directory (tenant) id or verified domain used in the authority URL. */
  tenantId: string;
  /** Application (client) id of the app registration with Exchange.ManageAsApp. */
  clientId: string;
  /** PEM of the app's certificate (public part; a chain is allowed, the first is the leaf). */
  certificatePem: string;
  /** PEM of the matching private key (PKCS#8 or PKCS#1; encrypted if privateKeyPassphrase is set). */
  privateKeyPem: string;
  privateKeyPassphrase?: string;
  /** Hex SHA-256 thumbprint; computed from certificatePem when omitted. */
  thumbprintSha256?: string;
  /** Hex SHA-1 thumbprint; only for authorities that still need it (ADFS). Ignored when thumbprintSha256 is given. */
  thumbprint?: string;
  /** Authority host, e.g. https://login.microsoftonline.us for sovereign clouds. */
  authorityHost?: string;
  /** Exchange endpoint the token is for; the scope is `<endpoint>/.default`. */
  endpoint?: string;
  /** Overrides the scope entirely. */
  scope?: string;
  /** Send the certificate chain (x5c) for subject-name/issuer authentication (default true). */
  sendX5c?: boolean;
  /** Replaces MSAL's HTTP client (tests, proxies). */
  networkClient?: INetworkModule;
}

/** App-only (client credentials) tokens with a certificate, via @azure/msal-node. */
export class MsalCertificateTokenProvider implements TokenProvider {
  readonly scope: string;
  readonly authority: string;
  readonly clientId: string;
  readonly #options: MsalCertificateTokenProviderOptions;
  readonly #privateKeyPkcs8: string;
  readonly #thumbprintSha256: string | undefined;
  readonly #thumbprintSha1: string | undefined;
  #app: Promise<ConfidentialClientApplication> | undefined;
  #pending: Promise<string> | undefined;

  constructor(options: MsalCertificateTokenProviderOptions) {
    for (const field of ["tenantId", "clientId", "certificatePem", "privateKeyPem"] as const) {
      if (typeof options[field] !== "string" || options[field].trim() === "") {
        throw new Error(`MsalCertificateTokenProvider: '${field}' is required.`);
      }
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(options.certificatePem);
    } catch (err) {
      throw new Error(`MsalCertificateTokenProvider: 'certificatePem' isn't a readable X.509 certificate (${(err as Error).message}).`);
    }
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey({ key: options.privateKeyPem, format: "pem", passphrase: options.privateKeyPassphrase });
    } catch (err) {
      throw new Error(`MsalCertificateTokenProvider: 'privateKeyPem' isn't a readable private key (${(err as Error).message}).`);
    }
    if (!certificate.checkPrivateKey(key)) {
      throw new Error("MsalCertificateTokenProvider: 'privateKeyPem' doesn't belong to the certificate in 'certificatePem'.");
    }
    this.#privateKeyPkcs8 = key.export({ type: "pkcs8", format: "pem" }).toString();
    const hex = (value: string) => value.replace(/:/g, "").toUpperCase();
    if (options.thumbprintSha256 !== undefined) {
      this.#thumbprintSha256 = checkThumbprint("thumbprintSha256", options.thumbprintSha256, 64);
    } else if (options.thumbprint !== undefined) {
      this.#thumbprintSha1 = checkThumbprint("thumbprint", options.thumbprint, 40);
    } else {
      this.#thumbprintSha256 = hex(certificate.fingerprint256);
    }
    const authorityHost = trimSlash(options.authorityHost ?? DEFAULT_AUTHORITY_HOST);
    assertHttpsUrl("authorityHost", authorityHost);
    this.authority = `${authorityHost}/${encodeURIComponent(options.tenantId)}`;
    this.clientId = options.clientId;
    const endpoint = trimSlash(options.endpoint ?? DEFAULT_EXCHANGE_ONLINE_ENDPOINT);
    this.scope = options.scope ?? `${endpoint}/.default`;
    this.#options = options;
  }

  /**
   * A token from MSAL's cache, or one sign-in when the cache has none: callers that ask at the same
   * time share that sign-in instead of each starting one.
   */
  getToken(): Promise<string> {
    this.#pending ??= this.#acquire().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #acquire(): Promise<string> {
    this.#app ??= this.#createApp();
    let result: Awaited<ReturnType<ConfidentialClientApplication["acquireTokenByClientCredential"]>>;
    try {
      const app = await this.#app;
      result = await app.acquireTokenByClientCredential({ scopes: [this.scope] });
    } catch (err) {
      const e = err as { errorCode?: string; errorMessage?: string; message?: string };
      const detail = e.errorCode ? `${e.errorCode}: ${firstLine(e.errorMessage ?? "")}` : firstLine(e.message ?? String(err));
      throw new Error(`Could not get a token for ${this.scope} from ${this.authority} (client ${this.clientId}): ${detail}`);
    }
    if (!result?.accessToken) {
      throw new Error(`Could not get a token for ${this.scope} from ${this.authority} (client ${this.clientId}): empty response.`);
    }
    return result.accessToken;
  }

  async #createApp(): Promise<ConfidentialClientApplication> {
    const msal = await import("@azure/msal-node");
    const options = this.#options;
    return new msal.ConfidentialClientApplication({
      auth: {
        clientId: options.clientId,
        authority: this.authority,
        clientCertificate: {
          privateKey: this.#privateKeyPkcs8,
          ...(this.#thumbprintSha256 ? { thumbprintSha256: this.#thumbprintSha256 } : {}),
          ...(this.#thumbprintSha1 ? { thumbprint: this.#thumbprintSha1 } : {}),
          ...(options.sendX5c === false ? {} : { x5c: options.certificatePem }),
        },
      },
      system: {
        // PII logging stays off; MSAL logs nothing unless asked.
        loggerOptions: { piiLoggingEnabled: false, logLevel: msal.LogLevel.Error, loggerCallback: () => {} },
        ...(options.networkClient ? { networkClient: options.networkClient } : {}),
      },
    });
  }
}

function checkThumbprint(field: string, value: string, length: number): string {
  const hex = value.replace(/[:\s]/g, "").toUpperCase();
  if (!new RegExp(`^[0-9A-F]{${length}}$`).test(hex)) {
    throw new Error(`MsalCertificateTokenProvider: '${field}' must be ${length} hex digits, got "${value}".`);
  }
  return hex;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A failed InvokeCommand call. `message` is readable on its own; the fields are for code. */
export class ExchangeOnlineError extends Error {
  override readonly name = "ExchangeOnlineError";
  /** HTTP status, or undefined when no HTTP response was received. */
  readonly status: number | undefined;
  /** `error.code` from the body, or NetworkError / TokenError / InvalidResponse / InvalidNextLink. */
  readonly code: string;
  /** `error.message` from the body (or the network/token problem). */
  readonly serverMessage: string;
  readonly cmdletName: string;
  readonly tenant: string;
  readonly details: unknown[];
  /** Number of HTTP attempts made for the failing request. */
  readonly attempts: number;
  readonly requestId: string;
  /**
   * True when an attempt failed without telling whether the cmdlet ran (5xx, network error):
   * for New-/Set-/Remove-, read the object back before deciding what to do.
   */
  readonly possiblyApplied: boolean;

  constructor(init: {
    status: number | undefined;
    code: string;
    serverMessage: string;
    cmdletName: string;
    tenant: string;
    details?: unknown[];
    attempts: number;
    requestId: string;
    note?: string;
    possiblyApplied?: boolean;
  }) {
    const what = init.status === undefined ? init.code : `${init.status} ${init.code}`;
    super(`${init.cmdletName} failed for tenant ${init.tenant}: ${what}: ${init.serverMessage}${init.note ? ` (${init.note})` : ""}`);
    this.status = init.status;
    this.code = init.code;
    this.serverMessage = init.serverMessage;
    this.cmdletName = init.cmdletName;
    this.tenant = init.tenant;
    this.details = init.details ?? [];
    this.attempts = init.attempts;
    this.requestId = init.requestId;
    this.possiblyApplied = init.possiblyApplied ?? false;
  }
}

/** True for Exchange's "object … couldn't be found" (not for an unknown tenant). */
export function isObjectNotFoundError(err: unknown): err is ExchangeOnlineError {
  return (
    err instanceof ExchangeOnlineError &&
    (err.status === 404 || err.status === 400) &&
    err.code !== "TenantNotFound" &&
    /couldn't be found|could not be found/i.test(err.serverMessage)
  );
}

// ---------------------------------------------------------------------------------------------
// Objects and parameters (Exchange property names, as the REST endpoint returns them)
// ---------------------------------------------------------------------------------------------

export type InboundConnectorType = "OnPremises" | "Partner";

/**
 * An accepted domain. Not validated here: enums may arrive as numbers from some sources, so
 * normalize before use.
 */
export interface AcceptedDomain {
  Identity: string;
  Name: string;
  DomainName: string;
  DomainType: string;
  Default: boolean;
  [property: string]: unknown;
}

/** An inbound connector as returned by Get-/New-InboundConnector. Normalize before comparing. */
export interface InboundConnector {
  Identity: string;
  Name: string;
  Guid: string;
  ConnectorType: string;
  ConnectorSource: string;
  Enabled: boolean;
  SenderDomains: string[];
  SenderIPAddresses: string[];
  TlsSenderCertificateName: string | null;
  RequireTls: boolean;
  RestrictDomainsToCertificate: boolean;
  RestrictDomainsToIPAddresses: boolean;
  TreatMessagesAsInternal: boolean;
  CloudServicesMailEnabled: boolean;
  Comment: string | null;
  WhenCreated: string;
  WhenChanged: string;
  [property: string]: unknown;
}

/** Settable inbound connector parameters (cmdlet parameter names). `null` clears a value. */
export interface InboundConnectorSettings {
  ConnectorType?: InboundConnectorType;
  ConnectorSource?: "Default" | "Migrated" | "HybridWizard" | "AdminUI";
  Enabled?: boolean;
  SenderDomains?: string[];
  SenderIPAddresses?: string[] | null;
  TlsSenderCertificateName?: string | null;
  RequireTls?: boolean;
  RestrictDomainsToCertificate?: boolean;
  RestrictDomainsToIPAddresses?: boolean;
  TreatMessagesAsInternal?: boolean;
  CloudServicesMailEnabled?: boolean;
  Comment?: string | null;
}

export interface NewInboundConnectorParameters extends InboundConnectorSettings {
  Name: string;
  ConnectorType: InboundConnectorType;
  SenderDomains: string[];
}

export interface SetInboundConnectorParameters extends InboundConnectorSettings {
  /** Renames the connector. */
  Name?: string;
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/**
 * Pacing shared by many clients that read at once (one per tenant, cli/live/pacer.ts): when the
 * service throttles one of them, every one of them slows down, and the run's retries are counted
 * against one budget. Without a pacer each client retries on its own (maxRetries, retryBudgetMs).
 */
export interface RequestPacer {
  /**
   * Resolves when an attempt may be sent (after a shared pause, within the shared limit of requests
   * in flight). Call the returned function with the attempt's HTTP status (undefined when there was
   * no response) as soon as it is answered.
   */
  acquire(): Promise<(status: number | undefined) => void>;
  /**
   * Asked before a retryable failure is retried, with the delay about to be waited (the service's
   * Retry-After, or the backoff): undefined to go ahead, or the reason not to (the shared budget is spent).
   */
  retry(status: number | undefined, delayMs: number): string | undefined;
}

export interface ExchangeOnlineClientOptions {
  /** Service root, default https://outlook.office365.com (sovereign clouds use other hosts). */
  endpoint?: string;
  /** Tenant in the URL and the anchor mailbox, e.g. contoso.onmicrosoft.com. */
  tenant: string;
  auth: TokenProvider;
  /** Retries after the first attempt for 429, 5xx and network errors (default 4). */
  maxRetries?: number;
  /** Total time one invoke() may spend, retries and pages included (default 120 000 ms). */
  retryBudgetMs?: number;
  /** Per-request timeout (default 100 000 ms). */
  requestTimeoutMs?: number;
  /** First backoff delay when the server gives no Retry-After (default 500 ms); doubles per retry. */
  backoffBaseMs?: number;
  /** Longest single backoff delay (default 30 000 ms). */
  backoffMaxMs?: number;
  /** Safety limit on followed `@odata.nextLink` pages (default 1000). */
  maxPages?: number;
  /** Shared pacing and retry budget across clients (see RequestPacer); with one, 429s are bounded by its budget instead of maxRetries. */
  pacer?: RequestPacer;
  /** Receives each `@adminapi.warnings` entry of a successful response (default: ignored). */
  onWarning?: (warning: string, cmdletName: string) => void;
  fetchImpl?: typeof fetch;
  /** Injectable for tests: how to wait, what time it is (ms), and jitter randomness. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

interface Failure {
  status: number | undefined;
  code: string;
  message: string;
  details: unknown[];
  retryAfterMs: number | undefined;
  retryable: boolean;
}

interface Page {
  value: Record<string, unknown>[];
  nextLink: string | undefined;
  warnings: string[];
}

export class ExchangeOnlineClient {
  readonly endpoint: string;
  readonly tenant: string;
  readonly #auth: TokenProvider;
  readonly #fetch: typeof fetch;
  readonly #maxRetries: number;
  readonly #retryBudgetMs: number;
  readonly #requestTimeoutMs: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #maxPages: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onWarning: (warning: string, cmdletName: string) => void;
  readonly #pacer: RequestPacer | undefined;

  constructor(options: ExchangeOnlineClientOptions) {
    if (typeof options.tenant !== "string" || options.tenant.trim() === "") {
      throw new Error("ExchangeOnlineClient: 'tenant' is required.");
    }
    if (!options.auth || typeof options.auth.getToken !== "function") {
      throw new Error("ExchangeOnlineClient: 'auth' must be a TokenProvider.");
    }
    this.endpoint = trimSlash(options.endpoint ?? DEFAULT_EXCHANGE_ONLINE_ENDPOINT);
    assertEndpoint(this.endpoint);
    this.tenant = options.tenant.trim();
    this.#auth = options.auth;
    this.#fetch = options.fetchImpl ?? fetch;
    this.#maxRetries = nonNegative("maxRetries", options.maxRetries ?? 4);
    this.#retryBudgetMs = nonNegative("retryBudgetMs", options.retryBudgetMs ?? 120_000);
    this.#requestTimeoutMs = nonNegative("requestTimeoutMs", options.requestTimeoutMs ?? 100_000);
    this.#backoffBaseMs = nonNegative("backoffBaseMs", options.backoffBaseMs ?? 500);
    this.#backoffMaxMs = nonNegative("backoffMaxMs", options.backoffMaxMs ?? 30_000);
    this.#maxPages = nonNegative("maxPages", options.maxPages ?? 1000);
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onWarning = options.onWarning ?? (() => {});
    this.#pacer = options.pacer;
  }

  /** The InvokeCommand URL for this tenant. */
  get invokeUrl(): string {
    return `${this.endpoint}/adminapi/beta/${encodeURIComponent(this.tenant)}/InvokeCommand`;
  }

  /** Runs one cmdlet and returns every result object, following `@odata.nextLink` pages. */
  async invoke(cmdletName: string, parameters: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
    if (!/^[A-Za-z]+-[A-Za-z0-9]+$/.test(cmdletName)) {
      throw new Error(`ExchangeOnlineClient: "${cmdletName}" isn't a cmdlet name (expected Verb-Noun).`);
    }
    const body = JSON.stringify({ CmdletInput: { CmdletName: cmdletName, Parameters: parameters } });
    const context = { cmdletName, requestId: randomUUID(), started: this.#now() };
    const results: Record<string, unknown>[] = [];
    const visited = new Set<string>();
    let url = this.invokeUrl;
    for (let pages = 1; ; pages++) {
      const page = await this.#send(url, body, context);
      results.push(...page.value);
      for (const warning of page.warnings) this.#onWarning(warning, cmdletName);
      if (page.nextLink === undefined) return results;
      url = this.#checkNextLink(page.nextLink, context, visited, pages);
    }
  }

  async getAcceptedDomains(): Promise<AcceptedDomain[]> {
    return (await this.invoke("Get-AcceptedDomain")) as AcceptedDomain[];
  }

  async getInboundConnectors(): Promise<InboundConnector[]> {
    return (await this.invoke("Get-InboundConnector")) as InboundConnector[];
  }

  /** The connector with this name (or Guid), or null when Exchange says it couldn't be found. */
  async getInboundConnector(name: string): Promise<InboundConnector | null> {
    try {
      const [connector] = await this.invoke("Get-InboundConnector", { Identity: name });
      return (connector as InboundConnector | undefined) ?? null;
    } catch (err) {
      if (isObjectNotFoundError(err)) return null;
      throw err;
    }
  }

  /**
   * Creates a connector and returns it. Not idempotent on its own: when a retried create gets
   * 409 Conflict, the error says an earlier attempt may have been applied — adopt by name with
   * getInboundConnector.
   */
  async newInboundConnector(params: NewInboundConnectorParameters): Promise<InboundConnector> {
    const [created] = await this.invoke("New-InboundConnector", { ...params });
    if (created) return created as InboundConnector;
    const fetched = await this.getInboundConnector(params.Name);
    if (!fetched) {
      throw new ExchangeOnlineError({
        status: undefined,
        code: "InvalidResponse",
        serverMessage: `the connector "${params.Name}" was reported created but can't be read back`,
        cmdletName: "New-InboundConnector",
        tenant: this.tenant,
        attempts: 1,
        requestId: "",
      });
    }
    return fetched;
  }

  /** Changes only the given parameters. Like the cmdlet, returns nothing; read back with getInboundConnector. */
  async setInboundConnector(identity: string, params: SetInboundConnectorParameters): Promise<void> {
    if ("Identity" in params) throw new Error("setInboundConnector: pass the identity as the first argument, not in params.");
    await this.invoke("Set-InboundConnector", { Identity: identity, ...params });
  }

  async removeInboundConnector(identity: string): Promise<void> {
    await this.invoke("Remove-InboundConnector", { Identity: identity });
  }

  // -------------------------------------------------------------------------------------------

  async #send(url: string, body: string, context: { cmdletName: string; requestId: string; started: number }): Promise<Page> {
    const earlier: Failure[] = [];
    for (let attempt = 1; ; attempt++) {
      let token: string;
      try {
        token = await this.#auth.getToken();
      } catch (err) {
        throw this.#error(context, attempt, {
          status: undefined,
          code: "TokenError",
          message: `could not get an access token: ${(err as Error).message}`,
          details: [],
          retryAfterMs: undefined,
          retryable: false,
        });
      }
      const answered = await this.#pacer?.acquire();
      const failure = await this.#attempt(url, body, token, context);
      answered?.("retryable" in failure ? failure.status : 200);
      if (!("retryable" in failure)) return failure;

      const unclear = earlier.filter(outcomeUnknown);
      const possiblyApplied = unclear.length > 0 || outcomeUnknown(failure);
      if (!failure.retryable) {
        const note = unclear.length > 0 ? `attempt ${attempt}; ${describeEarlier(unclear)} and may have been applied` : undefined;
        throw this.#error(context, attempt, failure, note, possiblyApplied);
      }
      // Under a shared pacer a 429 is bounded by the run's retry budget, not by this request's maxRetries:
      // the pacer has every client wait out the service's Retry-After, so asking again is what it wants.
      if (attempt > this.#maxRetries && !(this.#pacer !== undefined && failure.status === 429)) {
        throw this.#error(context, attempt, failure, `${gaveUp(attempt)}: maxRetries ${this.#maxRetries} reached`, possiblyApplied);
      }
      const delay = failure.retryAfterMs ?? this.#backoff(attempt);
      const elapsed = this.#now() - context.started;
      if (elapsed + delay > this.#retryBudgetMs) {
        const asked = failure.retryAfterMs !== undefined ? ` (Retry-After: ${formatSeconds(failure.retryAfterMs)})` : "";
        throw this.#error(
          context,
          attempt,
          failure,
          `${gaveUp(attempt)}: retry budget of ${this.#retryBudgetMs} ms exhausted${asked}`,
          possiblyApplied,
        );
      }
      const refused = this.#pacer?.retry(failure.status, delay);
      if (refused !== undefined) throw this.#error(context, attempt, failure, `${gaveUp(attempt)}: ${refused}`, possiblyApplied);
      earlier.push(failure);
      await this.#sleep(delay);
    }
  }

  async #attempt(url: string, body: string, token: string, context: { cmdletName: string; requestId: string }): Promise<Page | Failure> {
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-AnchorMailbox": anchorMailbox(this.tenant),
          "X-CmdletName": context.cmdletName,
          "X-ResponseFormat": "json",
          "X-ClientApplication": CLIENT_APPLICATION,
          Prefer: "odata.maxpagesize=1000",
          "client-request-id": context.requestId,
        },
        body,
        signal: AbortSignal.timeout(this.#requestTimeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const permanent = permanentNetworkFailure(err);
      return {
        status: undefined,
        code: "NetworkError",
        message: permanent
          ? `${describeNetworkError(err, this.#requestTimeoutMs)} (${permanent}; not retried)`
          : describeNetworkError(err, this.#requestTimeoutMs),
        details: [],
        retryAfterMs: undefined,
        retryable: permanent === undefined,
      };
    }

    if (response.ok) {
      if (text.trim() === "") return { value: [], nextLink: undefined, warnings: [] };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return invalidResponse(`the ${response.status} response isn't JSON: ${snippet(text)}`);
      }
      const value = (json as { value?: unknown })?.value;
      const next = (json as { "@odata.nextLink"?: unknown })?.["@odata.nextLink"];
      if (value !== undefined && !Array.isArray(value)) return invalidResponse(`"value" isn't an array: ${snippet(text)}`);
      if (next !== undefined && next !== null && typeof next !== "string") {
        return invalidResponse(`"@odata.nextLink" isn't a string: ${snippet(text)}`);
      }
      const items = (value ?? []) as unknown[];
      if (!items.every((item) => typeof item === "object" && item !== null && !Array.isArray(item))) {
        return invalidResponse(`"value" contains something other than objects: ${snippet(text)}`);
      }
      const warnings = (json as { "@adminapi.warnings"?: unknown })?.["@adminapi.warnings"];
      return {
        value: items as Record<string, unknown>[],
        nextLink: typeof next === "string" && next ? next : undefined,
        warnings: Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === "string" && w.trim() !== "") : [],
      };
    }

    const status = response.status;
    let code = response.statusText || `Http${status}`;
    let message = text.trim() === "" ? "(empty response body)" : snippet(text);
    let details: unknown[] = [];
    try {
      const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown; innererror?: unknown } }).error;
      if (error && typeof error === "object") {
        if (typeof error.code === "string" && error.code) code = error.code;
        if (Array.isArray(error.details)) details = error.details;
        message = cmdletErrorText(error) ?? message;
      }
    } catch {
      // Not JSON: keep the status text and a snippet of the body.
    }
    return {
      status,
      code,
      message,
      details,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), this.#now()),
      retryable: status === 429 || status >= 500,
    };
  }

  #checkNextLink(next: string, context: { cmdletName: string; requestId: string }, visited: Set<string>, pages: number): string {
    let url: URL;
    try {
      url = new URL(next, this.endpoint);
    } catch {
      throw this.#error(context, 1, nextLinkFailure(`"${next}" isn't a URL`));
    }
    // The bearer token goes wherever nextLink points: never follow it off the endpoint's origin.
    if (url.origin !== new URL(this.endpoint).origin) {
      throw this.#error(context, 1, nextLinkFailure(`refusing to follow @odata.nextLink to another origin (${url.origin})`));
    }
    if (visited.has(url.href)) {
      throw this.#error(context, 1, nextLinkFailure(`@odata.nextLink repeats ${url.href}`));
    }
    if (pages >= this.#maxPages) {
      throw this.#error(context, 1, nextLinkFailure(`more than ${this.#maxPages} pages`));
    }
    visited.add(url.href);
    return url.href;
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  #error(
    context: { cmdletName: string; requestId: string },
    attempts: number,
    failure: Failure,
    note?: string,
    possiblyApplied = false,
  ): ExchangeOnlineError {
    return new ExchangeOnlineError({
      status: failure.status,
      code: failure.code,
      serverMessage: failure.message,
      cmdletName: context.cmdletName,
      tenant: this.tenant,
      details: failure.details,
      attempts,
      requestId: context.requestId,
      note,
      possiblyApplied,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A property of an object whatever its case: the service writes both `internalexception` and `internalException`. */
function member(value: unknown, name: string): unknown {
  if (value === null || typeof value !== "object") return undefined;
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * The readable text of an admin API error. `error.message` is usually the generic "Invalid
 * Operation"; the cmdlet's own message is in `error.innererror.internalexception.message`, else in
 * `error.details[].message` behind a `|Exception.Type|` prefix (bodies captured from live tenants;
 * KelvinTegelaar/CIPP-API reads the same three places).
 */
function cmdletErrorText(error: { message?: unknown; details?: unknown; innererror?: unknown }): string | undefined {
  const inner = text(member(member(error.innererror, "internalexception"), "message"));
  if (inner) return inner;
  const details = Array.isArray(error.details) ? error.details : [];
  const fromDetails = [
    ...new Set(details.map((detail) => text(member(detail, "message"))?.replace(/^\|[^|]*\|/, "")).filter((m): m is string => !!m)),
  ];
  if (fromDetails.length > 0) return fromDetails.join(" ");
  return text(error.message);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function invalidResponse(message: string): Failure {
  return { status: undefined, code: "InvalidResponse", message, details: [], retryAfterMs: undefined, retryable: false };
}

function nextLinkFailure(message: string): Failure {
  return { status: undefined, code: "InvalidNextLink", message, details: [], retryAfterMs: undefined, retryable: false };
}

/** A failure after which the request may or may not have been carried out (a refused connection never sent it). */
function outcomeUnknown(failure: Failure): boolean {
  return failure.status === undefined ? failure.code === "NetworkError" && failure.retryable : failure.status >= 500;
}

/**
 * Network failures that asking again will not cure: the endpoint is wrong, not busy. Retrying them
 * only delays the error by the whole backoff budget. Returns the reason, or undefined if transient.
 */
export function permanentNetworkFailure(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } })?.cause;
  const code = cause?.code ?? cause?.errors?.find((e) => e.code)?.code;
  if (cause?.message === "bad port") return "a port that fetch refuses to connect to; check the endpoint's port";
  if (code === "ECONNREFUSED") return "connection refused: nothing listens at that address and port; check the endpoint";
  if (code === "ENOTFOUND") return "the host name does not resolve; check the endpoint's host name";
  if (code !== undefined && /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER)/.test(code))
    return `the server's TLS certificate is not trusted (${code})`;
  return undefined;
}

function describeEarlier(earlier: Failure[]): string {
  const parts = earlier.map((f) => (f.status === undefined ? f.code : `${f.status} ${f.code}`));
  return `${earlier.length === 1 ? "an earlier attempt" : "earlier attempts"} failed with ${parts.join(", ")}`;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError") return `no response within ${timeoutMs} ms`;
  const cause = e?.cause?.message ?? e?.cause?.code;
  return cause ? `${e.message ?? "request failed"}: ${cause}` : (e?.message ?? String(err));
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? "";
}

function gaveUp(attempts: number): string {
  return `gave up after ${attempts} ${attempts === 1 ? "attempt" : "attempts"}`;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`ExchangeOnlineClient: '${name}' must be a non-negative number, got ${value}.`);
  }
  return value;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function assertEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`ExchangeOnlineClient: endpoint "${endpoint}" isn't a URL.`);
  }
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return;
  throw new Error(
    `ExchangeOnlineClient: endpoint "${endpoint}" must use https (plain http is allowed only for loopback hosts such as Local Exchange Online).`,
  );
}

function assertHttpsUrl(field: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`MsalCertificateTokenProvider: '${field}' "${value}" isn't a URL.`);
  }
  if (url.protocol !== "https:") {
    throw new Error(`MsalCertificateTokenProvider: '${field}' "${value}" must use https.`);
  }
}
