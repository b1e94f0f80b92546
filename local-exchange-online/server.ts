/**
 * Local Exchange Online — a local stand-in for Exchange Online, not Microsoft's service.
 *
 * A loopback HTTP server that speaks the admin REST protocol ExchangeOnlineManagement v3 uses
 * (`POST /adminapi/beta/{tenant}/InvokeCommand`), so the Pulumi provider, the audit CLI and
 * the end-to-end tests can run against something that behaves like Exchange Online on
 * machines that cannot reach the real service. It implements only the cmdlets this project
 * needs (accepted domains and inbound connectors), with the validation Exchange Online
 * documents for them, plus injectable faults (throttling, 5xx, latency, "applied but the
 * response was lost") so clients can be tested against the failure modes that matter.
 *
 * It must accept what Exchange Online accepts, above all an OnPremises connector whose
 * TlsSenderCertificateName is not an accepted domain (the configuration MC1226222 warns about):
 * the product's own checks (the pack, the provider's live Get-AcceptedDomain check, audit) are
 * what the tests prove. Every check below that the cmdlet reference does not document is marked
 * "ASSUMPTION" where it is made; the exact error texts are the stand-in's own.
 *
 * It listens on 127.0.0.1 only. The `/_admin/*` endpoints are a test control surface and are
 * not part of Exchange Online's protocol.
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import ipaddr from "ipaddr.js";
import { z } from "zod";

export const STAND_IN_NOTICE = "local stand-in for Exchange Online, not Microsoft's service";

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_RECORDED_REQUESTS = 500;
// ASSUMPTION: the connector/accepted-domain Name limit (Active Directory's cn is 64 characters).
const MAX_NAME_LENGTH = 64;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** An accepted domain as Get-AcceptedDomain returns it (Exchange property names). */
export interface AcceptedDomainRecord {
  Identity: string;
  Name: string;
  DomainName: string;
  DomainType: "Authoritative" | "InternalRelay" | "ExternalRelay";
  Default: boolean;
  InitialDomain: boolean;
  MatchSubDomains: boolean;
  Guid: string;
  WhenCreated: string;
  WhenChanged: string;
}

/** An inbound connector as Get-InboundConnector returns it (Exchange property names). */
export interface InboundConnectorRecord {
  Identity: string;
  Name: string;
  Guid: string;
  ConnectorType: "OnPremises" | "Partner";
  ConnectorSource: "Default" | "Migrated" | "HybridWizard" | "AdminUI";
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
}

export interface TenantState {
  acceptedDomains: AcceptedDomainRecord[];
  inboundConnectors: InboundConnectorRecord[];
  /** The tenant's ID (Get-OrganizationConfig ExternalDirectoryOrganizationId; X-MS-Exchange-CrossTenant-Id on its mail). */
  organizationId?: string;
}

/** Everything the server knows; also the format of the persisted state file. */
export interface LocalExchangeOnlineState {
  version: 1;
  tenants: Record<string, TenantState>;
}

/** A queued fault. Each InvokeCommand request consumes the first queued fault that applies to it. */
export interface FaultSpec {
  /** HTTP status to answer with (400–599). Without it the fault is a pure delay. */
  status?: number;
  /** Seconds to put in a `Retry-After` header. */
  retryAfter?: number;
  /** Sleep this long before answering (or before processing normally when there is no status); with afterCommit, after the commit. */
  delayMs?: number;
  /** Apply and persist the cmdlet, then answer with `status` anyway (an interrupted create). */
  afterCommit?: boolean;
  /** Only requests for this cmdlet consume the fault (case-insensitive); others pass it by. */
  cmdlet?: string;
  /** Only requests for this tenant (as in the URL, case-insensitive) consume the fault; others pass it by. */
  tenant?: string;
  /** Overrides the error code in the body. */
  code?: string;
  /** Overrides the error message in the body. */
  message?: string;
}

export interface SeedTenant {
  acceptedDomains: string[];
}

export interface RecordedRequest {
  at: string;
  tenant: string;
  cmdletName: string | null;
  headerCmdletName: string | null;
  anchorMailbox: string | null;
  contentType: string | null;
  authorized: boolean;
  status: number;
  fault: FaultSpec | null;
}

/**
 * Requests answered 429 with Retry-After, by their number among the authorized InvokeCommand
 * requests (1, 2, 3, … retries included): every Nth, an evenly spread fraction, and/or a burst.
 */
export interface ThrottleSpec {
  /** Every Nth request. */
  every?: number;
  /** This share of the requests (0–1), spread evenly: 0.1 throttles requests 10, 20, 30, … */
  fraction?: number;
  /** A burst: `count` requests in a row from request number `from`. */
  burst?: { from: number; count: number };
  /** Seconds in the Retry-After header (default 1). */
  retryAfterSeconds?: number;
}

export interface LocalExchangeOnlineOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Every InvokeCommand request waits this long before it is answered, as a distant service's round trip would. */
  latencyMs?: number;
  /** Throttle some requests (429 + Retry-After); see ThrottleSpec. */
  throttle?: ThrottleSpec;
  /** Adds this many generated stand-in tenants (standInTenantName(1…n)), each with an inbound connector; see generatedTenant. */
  generatedTenants?: number;
  /** Tenants created when they are not already in the state file. */
  tenants?: Record<string, SeedTenant>;
  /** JSON file the state is persisted to after every change and reloaded from at start. */
  statePath?: string;
  /** When set, the bearer token must equal it; otherwise any non-empty token is accepted. */
  expectedToken?: string;
  /** Maximum results per page for Get-* cmdlets before `@odata.nextLink` is used (default 100). */
  pageSize?: number;
  /** Startup and error log sink (default: stderr). */
  log?: (line: string) => void;
  /** Clock for WhenCreated/WhenChanged (default: the system clock). */
  clock?: () => Date;
  /** Guid generator (default: crypto.randomUUID). */
  newGuid?: () => string;
}

export interface LocalExchangeOnline {
  /** Base URL, e.g. `http://127.0.0.1:40123`; use it as the client's endpoint. */
  readonly url: string;
  readonly port: number;
  /** Number of InvokeCommand requests received so far (including rejected ones). */
  readonly requests: number;
  /** Requests answered 429 by the `throttle` option (not by injected faults). */
  readonly throttledRequests: number;
  close(): Promise<void>;
  /** A deep copy of the current state. */
  state(): LocalExchangeOnlineState;
  /** Appends faults to the queue (validated; throws on an invalid fault). */
  injectFaults(...faults: FaultSpec[]): void;
  clearFaults(): void;
  pendingFaults(): FaultSpec[];
  /** Back to the seeded tenants, empty fault queue; persisted. */
  reset(): void;
  /** The most recent InvokeCommand requests (never includes the token). */
  recentRequests(): RecordedRequest[];
}

// ---------------------------------------------------------------------------------------------
// Schemas (seed file, state file, faults)
// ---------------------------------------------------------------------------------------------

const DOMAIN_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_LABEL}\\.)+${DOMAIN_LABEL}\\.?$`, "i");
const WILDCARD_DOMAIN_RE = new RegExp(`^(?:\\*\\.)?(?:${DOMAIN_LABEL}\\.)+${DOMAIN_LABEL}\\.?$`, "i");

const domainString = z.string().refine((value) => DOMAIN_RE.test(value) && value.length <= 253, {
  error: (issue) => `expected a domain name such as contoso.com, got ${JSON.stringify(issue.input)}`,
});

export const SeedSchema = z.strictObject({
  tenants: z.record(
    z.string().min(1),
    z.strictObject({
      acceptedDomains: z.array(domainString).min(1, "a tenant needs at least one accepted domain"),
    }),
  ),
});
export type Seed = z.infer<typeof SeedSchema>;

const AcceptedDomainRecordSchema = z.strictObject({
  Identity: z.string(),
  Name: z.string(),
  DomainName: z.string(),
  DomainType: z.enum(["Authoritative", "InternalRelay", "ExternalRelay"]),
  Default: z.boolean(),
  InitialDomain: z.boolean(),
  MatchSubDomains: z.boolean(),
  Guid: z.string(),
  WhenCreated: z.string(),
  WhenChanged: z.string(),
});

const InboundConnectorRecordSchema = z.strictObject({
  Identity: z.string(),
  Name: z.string(),
  Guid: z.string(),
  ConnectorType: z.enum(["OnPremises", "Partner"]),
  ConnectorSource: z.enum(["Default", "Migrated", "HybridWizard", "AdminUI"]),
  Enabled: z.boolean(),
  SenderDomains: z.array(z.string()),
  SenderIPAddresses: z.array(z.string()),
  TlsSenderCertificateName: z.string().nullable(),
  RequireTls: z.boolean(),
  RestrictDomainsToCertificate: z.boolean(),
  RestrictDomainsToIPAddresses: z.boolean(),
  TreatMessagesAsInternal: z.boolean(),
  CloudServicesMailEnabled: z.boolean(),
  Comment: z.string().nullable(),
  WhenCreated: z.string(),
  WhenChanged: z.string(),
});

const StateSchema = z.strictObject({
  version: z.literal(1),
  tenants: z.record(
    z.string(),
    z.strictObject({
      acceptedDomains: z.array(AcceptedDomainRecordSchema),
      inboundConnectors: z.array(InboundConnectorRecordSchema),
      organizationId: z.string().optional(),
    }),
  ),
});

export const FaultSchema = z
  .strictObject({
    status: z.int().min(400).max(599).optional(),
    retryAfter: z.number().min(0).max(3600).optional(),
    delayMs: z.int().min(0).max(600_000).optional(),
    afterCommit: z.boolean().optional(),
    cmdlet: z.string().min(1).optional(),
    tenant: z.string().min(1).optional(),
    code: z.string().min(1).optional(),
    message: z.string().min(1).optional(),
  })
  .refine((fault) => fault.status !== undefined || fault.delayMs !== undefined, {
    error: "a fault needs a status, a delayMs, or both",
  })
  .refine((fault) => !fault.afterCommit || fault.status !== undefined, {
    error: "afterCommit needs a status to answer with",
    path: ["afterCommit"],
  });

const FaultQueueBodySchema = z.strictObject({ queue: z.array(FaultSchema) });

/** Formats zod issues as `path: message` lines, quoting record keys so domains stay readable. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = formatPath(issue.path);
      return where ? `${where}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

function formatPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") {
      out += `[${segment}]`;
    } else {
      const key = String(segment);
      out += /^[A-Za-z_$][\w$]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Reads and validates a seed file (`{"tenants":{"contoso.onmicrosoft.com":{"acceptedDomains":[…]}}}`). */
export function loadSeedFile(file: string): Seed {
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`Cannot read seed file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`Seed file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = SeedSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`Seed file ${file} is invalid: ${formatZodIssues(parsed.error)}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Cmdlet errors
// ---------------------------------------------------------------------------------------------

interface ErrorDetail {
  code: string;
  target: string;
  message: string;
}

class CmdletError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

function badRequest(message: string, target = "", exception = "ParameterBindingException"): CmdletError {
  return new CmdletError(400, "BadRequest", message, [{ code: exception, target, message }]);
}

function invalidValue(message: string, target: string): CmdletError {
  return new CmdletError(400, "BadRequest", message, [{ code: "DataValidationException", target, message }]);
}

// ---------------------------------------------------------------------------------------------
// Parameter binding — PowerShell binds names case-insensitively; values arrive as JSON.
// ---------------------------------------------------------------------------------------------

type ParamKind = "string" | "nullableString" | "boolean" | "stringArray" | "connectorType" | "connectorSource" | "domainType";

interface CmdletDefinition {
  params: Record<string, ParamKind>;
  mandatory: string[];
}

const CONNECTOR_SETTINGS: Record<string, ParamKind> = {
  ConnectorType: "connectorType",
  ConnectorSource: "connectorSource",
  Enabled: "boolean",
  SenderDomains: "stringArray",
  SenderIPAddresses: "stringArray",
  TlsSenderCertificateName: "nullableString",
  RequireTls: "boolean",
  RestrictDomainsToCertificate: "boolean",
  RestrictDomainsToIPAddresses: "boolean",
  TreatMessagesAsInternal: "boolean",
  CloudServicesMailEnabled: "boolean",
  Comment: "nullableString",
};

const CMDLETS: Record<string, CmdletDefinition> = {
  "Get-AcceptedDomain": { params: { Identity: "string" }, mandatory: [] },
  "New-AcceptedDomain": {
    params: { Name: "string", DomainName: "string", DomainType: "domainType", Confirm: "boolean" },
    mandatory: ["Name", "DomainName"],
  },
  "Get-InboundConnector": { params: { Identity: "string" }, mandatory: [] },
  // Exchange Online makes SenderDomains mandatory on New-InboundConnector; ConnectorType is
  // optional there (default Partner) but required here so a connector's type is always explicit.
  "New-InboundConnector": {
    params: { Name: "string", Confirm: "boolean", ...CONNECTOR_SETTINGS },
    mandatory: ["Name", "SenderDomains", "ConnectorType"],
  },
  "Set-InboundConnector": {
    params: { Identity: "string", Name: "string", Confirm: "boolean", ...CONNECTOR_SETTINGS },
    mandatory: ["Identity"],
  },
  "Remove-InboundConnector": { params: { Identity: "string", Confirm: "boolean" }, mandatory: ["Identity"] },
  /** Only ExternalDirectoryOrganizationId (the tenant ID) and the names: what the runbook's attribution check reads. */
  "Get-OrganizationConfig": { params: {}, mandatory: [] },
};

const ENUM_VALUES: Record<string, { type: string; values: string[] }> = {
  connectorType: { type: "TenantConnectorType", values: ["OnPremises", "Partner"] },
  connectorSource: { type: "TenantConnectorSource", values: ["Default", "Migrated", "HybridWizard", "AdminUI"] },
  domainType: { type: "AcceptedDomainType", values: ["Authoritative", "InternalRelay", "ExternalRelay"] },
};

type BoundValue = string | boolean | string[] | null;

function resolveCmdlet(name: string): [string, CmdletDefinition] {
  for (const [canonical, definition] of Object.entries(CMDLETS)) {
    if (canonical.toLowerCase() === name.toLowerCase()) return [canonical, definition];
  }
  throw badRequest(
    `The term '${name}' is not recognized as a name of a cmdlet available on this server. Supported cmdlets: ${Object.keys(CMDLETS).join(", ")}.`,
    "CmdletName",
    "CommandNotFoundException",
  );
}

function bindParameters(definition: CmdletDefinition, raw: Record<string, unknown>): Map<string, BoundValue> {
  const bound = new Map<string, BoundValue>();
  const byLower = new Map(Object.keys(definition.params).map((name) => [name.toLowerCase(), name]));
  for (const [given, value] of Object.entries(raw)) {
    const name = byLower.get(given.toLowerCase());
    if (!name) {
      throw badRequest(`A parameter cannot be found that matches parameter name '${given}'.`, given);
    }
    if (bound.has(name)) {
      throw badRequest(`Cannot bind parameter because parameter '${name}' is specified more than once.`, name);
    }
    const kind = definition.params[name] as ParamKind;
    bound.set(name, convertValue(name, kind, value));
  }
  const missing = definition.mandatory.filter((name) => !bound.has(name));
  if (missing.length > 0) {
    throw badRequest(
      `Cannot process command because of one or more missing mandatory parameters: ${missing.join(" ")}.`,
      missing.join(","),
    );
  }
  return bound;
}

function cannotConvert(name: string, value: unknown, type: string, suffix = ""): CmdletError {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  return badRequest(`Cannot bind parameter '${name}'. Cannot convert value "${shown}" to type "${type}".${suffix}`, name);
}

function convertValue(name: string, kind: ParamKind, value: unknown): BoundValue {
  switch (kind) {
    case "string":
      if (typeof value !== "string") throw cannotConvert(name, value, "System.String");
      return value;
    case "nullableString":
      if (value === null || value === "") return null;
      if (typeof value !== "string") throw cannotConvert(name, value, "System.String");
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw cannotConvert(name, value, "System.Boolean");
      return value;
    case "stringArray": {
      if (value === null) return [];
      const items = typeof value === "string" ? [value] : value;
      if (!Array.isArray(items) || !items.every((item) => typeof item === "string")) {
        throw cannotConvert(name, value, "Microsoft.Exchange.Data.MultiValuedProperty");
      }
      return [...items];
    }
    case "connectorType":
    case "connectorSource":
    case "domainType": {
      const spec = ENUM_VALUES[kind] as { type: string; values: string[] };
      const match = typeof value === "string" ? spec.values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
      if (!match) throw cannotConvert(name, value, spec.type, ` Valid values are: ${spec.values.join(", ")}.`);
      return match;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation helpers (what Exchange Online documents for New-/Set-InboundConnector)
// ---------------------------------------------------------------------------------------------

/** Lower-case, trailing dot removed: how domains are compared. */
export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, "");
}

function validateName(name: string, what: string): void {
  if (name.trim() === "") {
    throw badRequest(
      `Cannot validate argument on parameter 'Name'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.`,
      "Name",
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) {
    throw invalidValue(`The ${what} name ${JSON.stringify(name)} contains control characters, which aren't allowed.`, "Name");
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw invalidValue(
      `The ${what} name "${name}" is too long. The maximum length is ${MAX_NAME_LENGTH} and the length of the value provided is ${name.length}.`,
      "Name",
    );
  }
}

/** Checks one SenderIPAddresses entry; returns a reason when Exchange Online would reject it. */
export function senderIpAddressProblem(value: string): string | null {
  const text = value.trim();
  if (text.includes("-")) return "IP address ranges (a-b) aren't supported";
  const [address, prefix, extra] = text.split("/");
  if (extra !== undefined || address === undefined) return "it isn't an IPv4 address or CIDR range";
  if (ipaddr.IPv6.isValid(address)) return "IPv6 addresses aren't supported";
  if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return "it isn't an IPv4 address or CIDR range";
  if (prefix !== undefined) {
    if (!/^(?:0|[1-9]\d?)$/.test(prefix) || Number(prefix) > 32) return `"/${prefix}" isn't a valid prefix length`;
    if (Number(prefix) < 24) return `the prefix /${prefix} is shorter than /24`;
  }
  return null;
}

/** `*`, `contoso.com`, `*.contoso.com` or `smtp:contoso.com;1` → `smtp:<domain>;<cost>`. */
function normalizeSenderDomain(value: string): string | null {
  const text = value.trim();
  const match = /^smtp:(.+);(\d+)$/i.exec(text);
  const domain = match ? (match[1] as string) : text;
  const cost = match ? (match[2] as string) : "1";
  if (domain !== "*" && !WILDCARD_DOMAIN_RE.test(domain)) return null;
  return `smtp:${domain};${cost}`;
}

// ---------------------------------------------------------------------------------------------
// Generated tenants (many stand-in tenants for scale measurements)
// ---------------------------------------------------------------------------------------------

/** The name of generated stand-in tenant i (1-based): t00001.onmicrosoft.com. */
export function standInTenantName(i: number): string {
  return `t${String(i).padStart(5, "0")}.onmicrosoft.com`;
}

/**
 * Generated stand-in tenant i: accepted domains tNNNNN.onmicrosoft.com and tNNNNN.example (RFC 2606
 * names), and one OnPremises inbound connector. Most authenticate by a certificate name that is an
 * accepted domain (healthy); every 10th names relay.tNNNNN.example, which is not (the MC1226222
 * defect); every 7th authenticates by IP only, from 198.51.100.0/24 (so that past 1,750 tenants
 * some share an address). Deterministic, so two runs over the same tenants find the same things.
 */
export function generatedTenant(i: number): { acceptedDomains: string[]; connector: Partial<InboundConnectorRecord> } {
  const base = standInTenantName(i).replace(/\.onmicrosoft\.com$/, "");
  const ipOnly = i % 7 === 0 && i % 10 !== 0;
  return {
    acceptedDomains: [`${base}.onmicrosoft.com`, `${base}.example`],
    connector: {
      Name: "From on-premises",
      ConnectorType: "OnPremises",
      SenderDomains: ["smtp:*;1"],
      RequireTls: true,
      SenderIPAddresses: ipOnly ? [`198.51.100.${((i / 7) % 250) + 1}`] : [],
      TlsSenderCertificateName: ipOnly ? null : i % 10 === 0 ? `relay.${base}.example` : `${base}.example`,
      RestrictDomainsToCertificate: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface InvokeOutcome {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function errorBody(error: CmdletError): unknown {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

const STATUS_CODES: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  408: "RequestTimeout",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

function faultOutcome(fault: FaultSpec & { status: number }): InvokeOutcome {
  const code = fault.code ?? STATUS_CODES[fault.status] ?? `Http${fault.status}`;
  let message = fault.message;
  if (message === undefined) {
    if (fault.status === 429) {
      message =
        fault.retryAfter !== undefined
          ? `The request was throttled (injected fault). Retry after ${fault.retryAfter} seconds.`
          : "The request was throttled (injected fault).";
    } else if (fault.afterCommit) {
      message = `The command was applied, but the response was lost (injected fault, ${fault.status} ${code}).`;
    } else {
      message = `The server couldn't process the request (injected fault, ${fault.status} ${code}).`;
    }
  }
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers["Retry-After"] = String(Math.ceil(fault.retryAfter));
  return { status: fault.status, headers, body: { error: { code, message, details: [] } } };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new CmdletError(413, "RequestEntityTooLarge", `The request body is larger than ${MAX_BODY_BYTES} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function writeJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; odata.metadata=minimal; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function writeFileAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomUUID()}.tmp`);
  const fd = fs.openSync(temp, "w", 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

class Engine {
  state: LocalExchangeOnlineState;

  constructor(
    private readonly seed: Record<string, SeedTenant>,
    private readonly statePath: string | undefined,
    private readonly clock: () => Date,
    private readonly newGuid: () => string,
    private readonly generated = 0,
  ) {
    this.state = { version: 1, tenants: {} };
    if (statePath && fs.existsSync(statePath)) this.state = this.load(statePath);
    this.addSeedTenants();
  }

  private load(file: string): LocalExchangeOnlineState {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new Error(`Local Exchange Online state file ${file} can't be read: ${(err as Error).message}`);
    }
    const parsed = StateSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(`Local Exchange Online state file ${file} is invalid: ${formatZodIssues(parsed.error)}`);
    }
    const tenants: Record<string, TenantState> = {};
    for (const [key, tenant] of Object.entries(parsed.data.tenants)) tenants[normalizeDomain(key)] = tenant;
    return { version: 1, tenants };
  }

  /** Accepted-domain records for a tenant: the first is the default, the first *.onmicrosoft.com the initial domain. */
  private acceptedDomainRecords(domains: readonly string[], now: string): AcceptedDomainRecord[] {
    let initialSeen = false;
    return domains.map((domain, index): AcceptedDomainRecord => {
      const name = normalizeDomain(domain);
      const initial = !initialSeen && name.endsWith(".onmicrosoft.com");
      initialSeen ||= initial;
      return {
        Identity: name,
        Name: name,
        DomainName: name,
        DomainType: "Authoritative",
        Default: index === 0,
        InitialDomain: initial,
        MatchSubDomains: false,
        Guid: this.newGuid(),
        WhenCreated: now,
        WhenChanged: now,
      };
    });
  }

  private addSeedTenants(): void {
    const now = this.clock().toISOString();
    for (const [key, seedTenant] of Object.entries(this.seed)) {
      const tenantKey = normalizeDomain(key);
      if (this.state.tenants[tenantKey]) continue;
      this.state.tenants[tenantKey] = {
        acceptedDomains: this.acceptedDomainRecords(seedTenant.acceptedDomains, now),
        inboundConnectors: [],
      };
    }
    for (let i = 1; i <= this.generated; i++) {
      const key = standInTenantName(i);
      if (this.state.tenants[key]) continue;
      const { acceptedDomains, connector } = generatedTenant(i);
      this.state.tenants[key] = {
        acceptedDomains: this.acceptedDomainRecords(acceptedDomains, now),
        inboundConnectors: [{ ...this.connectorRecord(connector.Name as string, "OnPremises", now), ...connector }],
      };
    }
  }

  /** A connector as New-InboundConnector creates it before its parameters are applied. */
  private connectorRecord(name: string, type: InboundConnectorRecord["ConnectorType"], now: string): InboundConnectorRecord {
    return {
      Identity: name,
      Name: name,
      Guid: this.newGuid(),
      ConnectorType: type,
      ConnectorSource: "Default",
      Enabled: true,
      SenderDomains: [],
      SenderIPAddresses: [],
      TlsSenderCertificateName: null,
      RequireTls: false,
      RestrictDomainsToCertificate: false,
      RestrictDomainsToIPAddresses: false,
      TreatMessagesAsInternal: false,
      CloudServicesMailEnabled: false,
      Comment: null,
      WhenCreated: now,
      WhenChanged: now,
    };
  }

  reset(): void {
    this.state = { version: 1, tenants: {} };
    this.addSeedTenants();
    this.persist();
  }

  persist(): void {
    if (this.statePath) writeFileAtomic(this.statePath, `${JSON.stringify(this.state, null, 2)}\n`);
  }

  tenant(name: string): TenantState | undefined {
    return this.state.tenants[normalizeDomain(name)];
  }

  /** Runs one cmdlet against one tenant; returns the result objects and whether state changed. */
  run(tenantName: string, cmdletName: string, rawParams: Record<string, unknown>): { value: unknown[]; changed: boolean } {
    const tenant = this.tenant(tenantName);
    if (!tenant) {
      throw new CmdletError(404, "TenantNotFound", `The tenant "${tenantName}" wasn't found on this server.`, [
        { code: "TenantNotFoundException", target: "tenant", message: `The tenant "${tenantName}" wasn't found on this server.` },
      ]);
    }
    const [cmdlet, definition] = resolveCmdlet(cmdletName);
    const params = bindParameters(definition, rawParams);
    const tenantLabel = normalizeDomain(tenantName);
    switch (cmdlet) {
      case "Get-AcceptedDomain": {
        const identity = params.get("Identity") as string | undefined;
        if (identity === undefined) return { value: deepCopy(tenant.acceptedDomains), changed: false };
        return { value: [deepCopy(this.findAcceptedDomain(tenant, identity, tenantLabel))], changed: false };
      }
      case "New-AcceptedDomain":
        return { value: [deepCopy(this.newAcceptedDomain(tenant, params))], changed: true };
      case "Get-InboundConnector": {
        const identity = params.get("Identity") as string | undefined;
        if (identity === undefined) return { value: deepCopy(tenant.inboundConnectors), changed: false };
        return { value: [deepCopy(this.findConnector(tenant, identity, tenantLabel))], changed: false };
      }
      case "New-InboundConnector":
        return { value: [deepCopy(this.newConnector(tenant, params))], changed: true };
      case "Get-OrganizationConfig": {
        // A state file from before the ID was kept gets one now, kept from then on.
        const changed = tenant.organizationId === undefined;
        tenant.organizationId ??= this.newGuid();
        const name = tenantLabel.replace(/\.onmicrosoft\.com$/, "");
        return { value: [{ Identity: name, Name: name, ExternalDirectoryOrganizationId: tenant.organizationId }], changed };
      }
      case "Set-InboundConnector":
        this.setConnector(tenant, params, tenantLabel);
        return { value: [], changed: true };
      case "Remove-InboundConnector": {
        const connector = this.findConnector(tenant, params.get("Identity") as string, tenantLabel);
        tenant.inboundConnectors = tenant.inboundConnectors.filter((c) => c !== connector);
        return { value: [], changed: true };
      }
      default:
        throw badRequest(`The cmdlet '${cmdlet}' isn't implemented.`, "CmdletName", "CommandNotFoundException");
    }
  }

  private notFound(identity: string, tenantLabel: string): CmdletError {
    const message = `The operation couldn't be performed because object '${identity}' couldn't be found on '${tenantLabel}'.`;
    return new CmdletError(404, "NotFound", message, [{ code: "ManagementObjectNotFoundException", target: "Identity", message }]);
  }

  private findAcceptedDomain(tenant: TenantState, identity: string, tenantLabel: string): AcceptedDomainRecord {
    const wanted = normalizeDomain(identity);
    const found = tenant.acceptedDomains.find(
      (d) => normalizeDomain(d.Name) === wanted || normalizeDomain(d.DomainName) === wanted || d.Guid === identity,
    );
    if (!found) throw this.notFound(identity, tenantLabel);
    return found;
  }

  private findConnector(tenant: TenantState, identity: string, tenantLabel: string): InboundConnectorRecord {
    const wanted = identity.toLowerCase();
    const found = tenant.inboundConnectors.find((c) => c.Name.toLowerCase() === wanted || c.Guid.toLowerCase() === wanted);
    if (!found) throw this.notFound(identity, tenantLabel);
    return found;
  }

  private newAcceptedDomain(tenant: TenantState, params: Map<string, BoundValue>): AcceptedDomainRecord {
    const name = params.get("Name") as string;
    validateName(name, "accepted domain");
    const domainName = params.get("DomainName") as string;
    if (!DOMAIN_RE.test(domainName)) {
      throw invalidValue(`The DomainName value "${domainName}" isn't valid. Specify a domain name such as contoso.com.`, "DomainName");
    }
    const normalized = normalizeDomain(domainName);
    if (tenant.acceptedDomains.some((d) => d.Name.toLowerCase() === name.toLowerCase())) {
      throw new CmdletError(409, "Conflict", `The specified accepted domain name "${name}" already exists.`, [
        { code: "ADObjectAlreadyExistsException", target: "Name", message: `The specified accepted domain name "${name}" already exists.` },
      ]);
    }
    if (tenant.acceptedDomains.some((d) => normalizeDomain(d.DomainName) === normalized)) {
      throw new CmdletError(409, "Conflict", `The domain "${normalized}" is already an accepted domain of this organization.`, [
        {
          code: "ADObjectAlreadyExistsException",
          target: "DomainName",
          message: `The domain "${normalized}" is already an accepted domain of this organization.`,
        },
      ]);
    }
    const now = this.clock().toISOString();
    const record: AcceptedDomainRecord = {
      Identity: name,
      Name: name,
      DomainName: normalized,
      DomainType: (params.get("DomainType") as AcceptedDomainRecord["DomainType"] | undefined) ?? "Authoritative",
      Default: false,
      InitialDomain: false,
      MatchSubDomains: false,
      Guid: this.newGuid(),
      WhenCreated: now,
      WhenChanged: now,
    };
    tenant.acceptedDomains.push(record);
    return record;
  }

  private newConnector(tenant: TenantState, params: Map<string, BoundValue>): InboundConnectorRecord {
    const name = params.get("Name") as string;
    const record = this.connectorRecord(
      name,
      params.get("ConnectorType") as InboundConnectorRecord["ConnectorType"],
      this.clock().toISOString(),
    );
    applySettings(record, params);
    this.validateConnector(tenant, record, null);
    tenant.inboundConnectors.push(record);
    return record;
  }

  private setConnector(tenant: TenantState, params: Map<string, BoundValue>, tenantLabel: string): void {
    const existing = this.findConnector(tenant, params.get("Identity") as string, tenantLabel);
    const updated: InboundConnectorRecord = deepCopy(existing);
    const newName = params.get("Name") as string | undefined;
    if (newName !== undefined) {
      updated.Name = newName;
      updated.Identity = newName;
    }
    applySettings(updated, params);
    this.validateConnector(tenant, updated, existing);
    updated.WhenChanged = this.clock().toISOString();
    Object.assign(existing, updated);
  }

  private validateConnector(tenant: TenantState, connector: InboundConnectorRecord, self: InboundConnectorRecord | null): void {
    validateName(connector.Name, "connector");
    const clash = tenant.inboundConnectors.find((c) => c !== self && c.Name.toLowerCase() === connector.Name.toLowerCase());
    if (clash) {
      const message = `The specified connector name "${connector.Name}" already exists.`;
      throw new CmdletError(409, "Conflict", message, [{ code: "ADObjectAlreadyExistsException", target: "Name", message }]);
    }

    if (connector.SenderDomains.length === 0) {
      throw invalidValue("SenderDomains can't be empty. Specify at least one domain, or * for all domains.", "SenderDomains");
    }
    const senderDomains: string[] = [];
    for (const value of connector.SenderDomains) {
      const normalized = normalizeSenderDomain(value);
      if (!normalized) {
        throw invalidValue(
          `The SenderDomains value "${value}" isn't valid. Specify an SMTP domain such as contoso.com or *.contoso.com, or * for all domains.`,
          "SenderDomains",
        );
      }
      senderDomains.push(normalized);
    }
    connector.SenderDomains = senderDomains;

    for (const value of connector.SenderIPAddresses) {
      const problem = senderIpAddressProblem(value);
      if (problem) {
        throw invalidValue(
          `The SenderIPAddresses value "${value}" isn't valid: ${problem}. Specify a single IPv4 address or an IPv4 CIDR range with a prefix from /24 to /32.`,
          "SenderIPAddresses",
        );
      }
    }
    connector.SenderIPAddresses = connector.SenderIPAddresses.map((value) => value.trim());

    const certName = connector.TlsSenderCertificateName;
    // Documented: a domain such as contoso.com or *.contoso.com. ASSUMPTION: the exact syntax test.
    if (certName !== null && (!WILDCARD_DOMAIN_RE.test(certName) || certName.length > 253)) {
      throw invalidValue(
        `The TlsSenderCertificateName value "${certName}" isn't valid. Specify a domain name such as contoso.com or *.contoso.com.`,
        "TlsSenderCertificateName",
      );
    }

    if (connector.TreatMessagesAsInternal && connector.ConnectorType !== "OnPremises") {
      throw invalidValue(
        `TreatMessagesAsInternal can be set to $true only when ConnectorType is OnPremises. The connector "${connector.Name}" has ConnectorType ${connector.ConnectorType}.`,
        "TreatMessagesAsInternal",
      );
    }
    if (connector.TreatMessagesAsInternal && connector.CloudServicesMailEnabled) {
      throw invalidValue(
        "TreatMessagesAsInternal and CloudServicesMailEnabled can't both be set to $true on the same connector.",
        "TreatMessagesAsInternal",
      );
    }
    // ASSUMPTION: the cmdlet reference implies, but does not state as an error, that
    // RestrictDomainsToCertificate needs TlsSenderCertificateName.
    if (connector.RestrictDomainsToCertificate && certName === null) {
      throw invalidValue(
        "RestrictDomainsToCertificate can be set to $true only when TlsSenderCertificateName is specified.",
        "RestrictDomainsToCertificate",
      );
    }
    // ASSUMPTION: Exchange Online needs some way to recognise an OnPremises connector's mail (the
    // admin center's wizard insists on IPs or a certificate name); the cmdlet reference does not say.
    // Deliberately NOT checked: that TlsSenderCertificateName is an accepted domain. Exchange Online
    // accepts any domain there.
    if (connector.ConnectorType === "OnPremises" && connector.SenderIPAddresses.length === 0 && certName === null) {
      throw invalidValue(
        `The OnPremises connector "${connector.Name}" must specify either SenderIPAddresses or TlsSenderCertificateName so Exchange Online can identify mail from your organization.`,
        "ConnectorType",
      );
    }
  }
}

function applySettings(record: InboundConnectorRecord, params: Map<string, BoundValue>): void {
  const target = record as unknown as Record<string, BoundValue>;
  for (const name of Object.keys(CONNECTOR_SETTINGS)) {
    if (params.has(name)) target[name] = params.get(name) as BoundValue;
  }
}

/** Which request numbers the throttle option answers 429: a function from the number to the Retry-After seconds, or undefined. */
function throttleRule(spec: ThrottleSpec | undefined): (n: number) => number | undefined {
  if (spec === undefined) return () => undefined;
  const { every, fraction, burst } = spec;
  const retryAfter = spec.retryAfterSeconds ?? 1;
  if (every !== undefined && (!Number.isInteger(every) || every < 1))
    throw new Error(`throttle.every must be a positive integer, got ${every}.`);
  if (fraction !== undefined && !(fraction >= 0 && fraction <= 1))
    throw new Error(`throttle.fraction must be from 0 to 1, got ${fraction}.`);
  if (burst !== undefined && !(Number.isInteger(burst.from) && burst.from >= 1 && Number.isInteger(burst.count) && burst.count >= 0)) {
    throw new Error(`throttle.burst needs a positive whole 'from' and a whole 'count', got ${JSON.stringify(burst)}.`);
  }
  if (!(Number.isInteger(retryAfter) && retryAfter >= 0 && retryAfter <= 3600)) {
    throw new Error(`throttle.retryAfterSeconds must be a whole number from 0 to 3600, got ${retryAfter}.`);
  }
  return (n) => {
    const hit =
      (every !== undefined && n % every === 0) ||
      (fraction !== undefined && Math.floor(n * fraction + 1e-9) > Math.floor((n - 1) * fraction + 1e-9)) ||
      (burst !== undefined && n >= burst.from && n < burst.from + burst.count);
    return hit ? retryAfter : undefined;
  };
}

/** Starts the local stand-in on 127.0.0.1 and resolves once it is listening. */
export async function startLocalExchangeOnline(options: LocalExchangeOnlineOptions = {}): Promise<LocalExchangeOnline> {
  const seed = options.tenants ?? {};
  const seedCheck = SeedSchema.safeParse({ tenants: seed });
  if (!seedCheck.success) throw new Error(`Invalid tenants option: ${formatZodIssues(seedCheck.error)}`);
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error(`pageSize must be a positive integer, got ${pageSize}.`);
  if (options.expectedToken !== undefined && options.expectedToken === "") {
    throw new Error("expectedToken must not be empty when given.");
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isInteger(latencyMs) || latencyMs < 0) throw new Error(`latencyMs must be a non-negative integer, got ${latencyMs}.`);
  const throttles = throttleRule(options.throttle);
  const generated = options.generatedTenants ?? 0;
  if (!Number.isInteger(generated) || generated < 0) throw new Error(`generatedTenants must be a non-negative integer, got ${generated}.`);
  const engine = new Engine(seed, options.statePath, options.clock ?? (() => new Date()), options.newGuid ?? randomUUID, generated);
  engine.persist();
  let authorizedCount = 0;
  let throttledCount = 0;

  let faults: FaultSpec[] = [];
  let requestCount = 0;
  const recorded: RecordedRequest[] = [];
  const closing = new AbortController();
  // Every request waiting out --latency-ms listens for the shutdown: many at once is the point.
  setMaxListeners(0, closing.signal);
  let baseUrl = "";

  const validateFaults = (list: unknown[]): FaultSpec[] => {
    const parsed = z.array(FaultSchema).safeParse(list);
    if (!parsed.success) throw new Error(`Invalid fault: ${formatZodIssues(parsed.error)}`);
    return parsed.data;
  };

  const takeFault = (cmdletName: string | null, tenant: string): FaultSpec | null => {
    const index = faults.findIndex(
      (f) =>
        (f.cmdlet === undefined || (cmdletName !== null && f.cmdlet.toLowerCase() === cmdletName.toLowerCase())) &&
        (f.tenant === undefined || f.tenant.toLowerCase() === tenant.toLowerCase()),
    );
    if (index < 0) return null;
    const [fault] = faults.splice(index, 1);
    return fault ?? null;
  };

  const record = (entry: RecordedRequest): void => {
    recorded.push(entry);
    if (recorded.length > MAX_RECORDED_REQUESTS) recorded.shift();
  };

  async function handleInvoke(req: http.IncomingMessage, url: URL, tenantSegment: string): Promise<InvokeOutcome> {
    requestCount++;
    const header = (name: string): string | null => {
      const value = req.headers[name];
      return typeof value === "string" ? value : null;
    };
    const entry: RecordedRequest = {
      at: new Date().toISOString(),
      tenant: tenantSegment,
      cmdletName: null,
      headerCmdletName: header("x-cmdletname"),
      anchorMailbox: header("x-anchormailbox"),
      contentType: header("content-type"),
      authorized: false,
      status: 0,
      fault: null,
    };
    const outcome = await invoke(req, url, tenantSegment, entry);
    entry.status = outcome.status;
    record(entry);
    return outcome;
  }

  async function invoke(req: http.IncomingMessage, url: URL, tenantSegment: string, entry: RecordedRequest): Promise<InvokeOutcome> {
    if (req.method !== "POST") {
      return {
        status: 405,
        headers: { Allow: "POST" },
        body: errorBody(new CmdletError(405, "MethodNotAllowed", "InvokeCommand accepts only POST.")),
      };
    }
    const auth = /^Bearer\s+(\S.*)$/i.exec(req.headers.authorization ?? "");
    const token = auth?.[1]?.trim();
    if (!token || (options.expectedToken !== undefined && token !== options.expectedToken)) {
      const message = token
        ? "The access token isn't valid for this server."
        : "The request doesn't have an Authorization header with a bearer token.";
      return {
        status: 401,
        headers: { "WWW-Authenticate": 'Bearer realm="local-exchange-online"' },
        body: errorBody(new CmdletError(401, "Unauthorized", message)),
      };
    }
    entry.authorized = true;
    if (latencyMs > 0) await sleep(latencyMs, closing.signal);
    const throttled = throttles(++authorizedCount);
    if (throttled !== undefined) {
      throttledCount++;
      req.resume();
      return faultOutcome({
        status: 429,
        retryAfter: throttled,
        message: `The request was throttled (--throttle). Retry after ${throttled} seconds.`,
      });
    }

    let text: string;
    try {
      text = await readBody(req);
    } catch (err) {
      if (err instanceof CmdletError) return { status: err.status, body: errorBody(err) };
      throw err;
    }
    let input: unknown;
    let parseError: CmdletError | null = null;
    try {
      input = JSON.parse(text);
    } catch {
      parseError = badRequest("The request body isn't valid JSON.", "body", "BadRequestException");
    }
    const cmdletInput = (input as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } } | null)?.CmdletInput;
    const cmdletName = typeof cmdletInput?.CmdletName === "string" ? cmdletInput.CmdletName : null;
    entry.cmdletName = cmdletName;

    const fault = takeFault(cmdletName, safeDecode(tenantSegment));
    entry.fault = fault;
    // An "applied, then answered late" fault sleeps after the commit (see below); others before.
    if (fault?.delayMs && !fault.afterCommit) await sleep(fault.delayMs, closing.signal);
    if (closing.signal.aborted) {
      return { status: 503, body: errorBody(new CmdletError(503, "ServiceUnavailable", "The server is shutting down.")) };
    }
    if (fault?.status !== undefined && !fault.afterCommit) return faultOutcome({ ...fault, status: fault.status });

    if (parseError) return { status: 400, body: errorBody(parseError) };
    if (!cmdletInput || typeof cmdletInput !== "object" || cmdletName === null) {
      return {
        status: 400,
        body: errorBody(
          badRequest(
            'The request body must be {"CmdletInput":{"CmdletName":"<cmdlet>","Parameters":{…}}}.',
            "CmdletInput",
            "BadRequestException",
          ),
        ),
      };
    }
    const parameters = cmdletInput.Parameters ?? {};
    if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
      return {
        status: 400,
        body: errorBody(badRequest("CmdletInput.Parameters must be a JSON object.", "Parameters", "BadRequestException")),
      };
    }

    let result: { value: unknown[]; changed: boolean };
    try {
      result = engine.run(decodeTenant(tenantSegment), cmdletName, parameters as Record<string, unknown>);
    } catch (err) {
      if (err instanceof CmdletError) return { status: err.status, body: errorBody(err) };
      throw err;
    }
    if (result.changed) engine.persist();
    if (fault?.status !== undefined && fault.afterCommit) {
      if (fault.delayMs) await sleep(fault.delayMs, closing.signal);
      return faultOutcome({ ...fault, status: fault.status });
    }
    return { status: 200, body: page(result.value, url, tenantSegment) };
  }

  function safeDecode(segment: string): string {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }

  function decodeTenant(segment: string): string {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw badRequest(`The tenant "${segment}" in the URL isn't valid.`, "tenant", "BadRequestException");
    }
  }

  function page(value: unknown[], url: URL, tenantSegment: string): unknown {
    const context = `${baseUrl}/adminapi/beta/${tenantSegment}/$metadata#Collection(Edm.ComplexType)`;
    const token = url.searchParams.get("$skiptoken");
    let offset = 0;
    if (token !== null) {
      const decoded = Number.parseInt(Buffer.from(token, "base64url").toString("utf8"), 10);
      if (!Number.isInteger(decoded) || decoded < 0) {
        throw badRequest(`The $skiptoken "${token}" isn't valid.`, "$skiptoken", "BadRequestException");
      }
      offset = decoded;
    }
    const slice = value.slice(offset, offset + pageSize);
    const body: Record<string, unknown> = { "@odata.context": context, value: slice };
    if (offset + pageSize < value.length) {
      const next = Buffer.from(String(offset + pageSize), "utf8").toString("base64url");
      body["@odata.nextLink"] = `${baseUrl}/adminapi/beta/${tenantSegment}/InvokeCommand?$skiptoken=${next}`;
    }
    return body;
  }

  async function handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, route: string): Promise<void> {
    const method = req.method ?? "GET";
    if (route === "/_admin/state" && method === "GET") return writeJson(res, 200, engine.state);
    if (route === "/_admin/reset" && method === "POST") {
      engine.reset();
      faults = [];
      return writeJson(res, 200, engine.state);
    }
    if (route === "/_admin/requests" && method === "GET") {
      return writeJson(res, 200, { count: requestCount, recent: recorded });
    }
    if (route === "/_admin/faults") {
      if (method === "GET") return writeJson(res, 200, { queue: faults });
      if (method === "DELETE") {
        faults = [];
        return writeJson(res, 200, { queue: faults });
      }
      if (method === "POST") {
        let json: unknown;
        try {
          json = JSON.parse(await readBody(req));
        } catch {
          return writeJson(res, 400, {
            error: { code: "BadRequest", message: "The request body isn't valid JSON.", details: [] },
          });
        }
        const parsed = FaultQueueBodySchema.safeParse(json);
        if (!parsed.success) {
          return writeJson(res, 400, {
            error: { code: "BadRequest", message: `Invalid fault queue: ${formatZodIssues(parsed.error)}`, details: [] },
          });
        }
        faults.push(...parsed.data.queue);
        return writeJson(res, 200, { queue: faults });
      }
    }
    writeJson(res, 404, {
      error: { code: "NotFound", message: `No admin endpoint ${method} ${route}.`, details: [] },
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const invokeMatch = /^\/adminapi\/beta\/([^/]+)\/InvokeCommand$/i.exec(url.pathname);
    const work = invokeMatch
      ? handleInvoke(req, url, invokeMatch[1] as string).then((outcome) => writeJson(res, outcome.status, outcome.body, outcome.headers))
      : url.pathname.startsWith("/_admin/")
        ? handleAdmin(req, res, url.pathname)
        : Promise.resolve(
            writeJson(res, 404, {
              error: { code: "NotFound", message: `No endpoint at ${url.pathname}.`, details: [] },
            }),
          );
    work.catch((err: unknown) => {
      if (err instanceof CmdletError) return writeJson(res, err.status, errorBody(err));
      log(`local-exchange-online: internal error: ${(err as Error).stack ?? String(err)}`);
      writeJson(res, 500, {
        error: { code: "InternalServerError", message: "The local stand-in hit an internal error.", details: [] },
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("Server has no TCP address.");
  const port = address.port;
  baseUrl = `http://127.0.0.1:${port}`;
  log(`Local Exchange Online listening on ${baseUrl} (${STAND_IN_NOTICE})`);

  let closed: Promise<void> | null = null;
  return {
    url: baseUrl,
    port,
    get requests() {
      return requestCount;
    },
    get throttledRequests() {
      return throttledCount;
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
    state: () => deepCopy(engine.state),
    injectFaults: (...list: FaultSpec[]) => {
      faults.push(...validateFaults(list));
    },
    clearFaults: () => {
      faults = [];
    },
    pendingFaults: () => deepCopy(faults),
    reset: () => {
      engine.reset();
      faults = [];
    },
    recentRequests: () => deepCopy(recorded),
  };
}
