import { managedByFromComment } from "../engine/ownership";
import { cloudsOfTenant, isExchangeOnlineMailHost, mailCloudOf, mailHostKey, mailHostKeyOf, routingDomainTenant } from "../engine/clouds";
import { normalizeAddressSpace, normalizeDomain } from "../engine/domain";
import {
  type Certificate,
  CertificateSchema,
  certificateFromPem,
  type InboundConnector,
  InboundConnectorSchema,
  type Inventory,
  type ResourceRef,
  type SendConnector,
  SendConnectorSchema,
  type Tenant,
  TenantSchema,
} from "../engine/model";
import { exchangeTlsCertificateName } from "../engine/x509";

/**
 * The one normalizer for Exchange's own data: `Get-AcceptedDomain`, `Get-InboundConnector`,
 * on-premises `Get-SendConnector` and `Get-ExchangeCertificate`, as `ConvertTo-Json` exports
 * (Windows PowerShell 5.1 or PowerShell 7, local or remoting) or as admin-REST bodies
 * (`{"value":[...]}`). Enums arrive as numbers or names, collections as arrays, single objects
 * or `{"value":[...],"Count":n}`, dates as `/Date(ms)/`, ISO strings or `{"value":..., "DateTime":...}`.
 *
 * Every record that cannot be read becomes a problem naming the file, the record and the field;
 * the other records are still read. Nothing here throws on bad data.
 */

/** One record or field that could not be read: `file: [1].ConnectorType: unknown value "Foo" (...)`. */
export interface ExchangeProblem {
  readonly file: string;
  /** Path of the offending record/field inside the file, e.g. `[1].ConnectorType`. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(problem: ExchangeProblem): string {
  return problem.path === "" ? `${problem.file}: ${problem.message}` : `${problem.file}: ${problem.path}: ${problem.message}`;
}

/** Exchange enum values by number, as `ConvertTo-Json` writes them without `-EnumsAsStrings`. */
export const EXCHANGE_ENUMS = {
  /** Microsoft.Exchange.Data.TenantConnectorType: `OnPremises = 1, Partner` (2), per Exchange's own enum definition. */
  ConnectorType: { 1: "OnPremises", 2: "Partner" },
  /** TenantConnectorSource: how the connector was created. */
  ConnectorSource: { 0: "Default", 1: "Migrated", 2: "HybridWizard", 3: "AdminUI" },
  /** Microsoft.Exchange.Data.TlsAuthLevel (Get-SendConnector). */
  TlsAuthLevel: { 1: "EncryptionOnly", 2: "CertificateValidation", 4: "DomainValidation" },
  /** AcceptedDomainType (Get-AcceptedDomain). */
  DomainType: { 0: "Authoritative", 1: "ExternalRelay", 2: "InternalRelay" },
} as const satisfies Record<string, Record<number, string>>;

type EnumName = keyof typeof EXCHANGE_ENUMS;

class Problems {
  readonly list: ExchangeProblem[] = [];
  constructor(readonly file: string) {}
  add(path: string, message: string): void {
    this.list.push({ file: this.file, path, message });
  }
}

/**
 * The text of an export file, whatever Windows wrote: `Out-File -Encoding utf8` in Windows PowerShell
 * 5.1 writes UTF-8 with a BOM, `> file` and `Out-File` without -Encoding write UTF-16LE with a BOM
 * ("Unicode"), PowerShell 7 writes UTF-8 without one; `-Encoding BigEndianUnicode` writes UTF-16BE.
 * A UTF-16 file that lost its BOM is recognised by the zero bytes of its ASCII JSON punctuation.
 */
export function decodeExportText(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return buffer.subarray(3).toString("utf8");
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return buffer.subarray(2).toString("utf16le");
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return Buffer.from(buffer.subarray(2)).swap16().toString("utf16le");
  if (buffer.length >= 2 && buffer.length % 2 === 0) {
    if (buffer[0] !== 0 && buffer[1] === 0) return buffer.toString("utf16le");
    if (buffer[0] === 0 && buffer[1] !== 0) return Buffer.from(buffer).swap16().toString("utf16le");
  }
  return buffer.toString("utf8");
}

/**
 * Like decodeExportText, but a byte sequence that is not valid in the detected encoding is reported
 * instead of being replaced or dropped: an odd byte count in UTF-16, an unpaired surrogate, a byte
 * that is not UTF-8.
 */
export function decodeExportBytes(bytes: Uint8Array): { text: string } | { problem: string } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom16 = (buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff);
  const bare16 = !bom16 && buffer.length >= 2 && ((buffer[0] !== 0 && buffer[1] === 0) || (buffer[0] === 0 && buffer[1] !== 0));
  if (bom16 || bare16) {
    const body = buffer.length - (bom16 ? 2 : 0);
    if (body % 2 !== 0) {
      return {
        problem: `is UTF-16 but has an odd number of bytes: a stray byte at offset ${buffer.length - 1}. Export it again (Out-File -Encoding utf8, or Export-Clixml).`,
      };
    }
    const text = decodeExportText(buffer);
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
    if (lone) {
      return {
        problem: `is UTF-16 with an unpaired surrogate (0x${lone[0].charCodeAt(0).toString(16).toUpperCase()}) at character ${lone.index + 1}: the file is damaged. Export it again.`,
      };
    }
    return { text };
  }
  const start = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(start)) };
  } catch {
    let offset = start;
    // Find the first invalid sequence for the message.
    for (let end = start + 1; end <= buffer.length; end++) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(start, end));
        offset = end;
      } catch {
        if (end - offset > 4) break;
      }
    }
    return {
      problem: `is not valid UTF-8 (byte 0x${(buffer[offset] ?? 0).toString(16).toUpperCase()} at offset ${offset}) nor UTF-16. Export it again (Out-File -Encoding utf8).`,
    };
  }
}

/** Parses a JSON export; a truncated or malformed file is one problem naming where it breaks. */
export function parseExchangeJson(text: string, file: string): { value?: unknown; problem?: ExchangeProblem } {
  // A BOM left in by a caller that decoded the bytes itself.
  const body = text.replace(/^\uFEFF/, "");
  if (body.trim() === "") return { problem: { file, path: "", message: "is empty (expected the JSON written by ConvertTo-Json)" } };
  try {
    return { value: JSON.parse(body) };
  } catch (error) {
    const reason = (error as Error).message;
    // A cut-off export fails at its last characters ("Unexpected end of JSON input", or a dangling comma).
    const position = Number(/position (\d+)/.exec(reason)?.[1] ?? body.length);
    const truncated = /end of JSON input|Unterminated/i.test(reason) || position >= body.trimEnd().length - 1;
    // Where it breaks, worked out here: Node.js words its own JSON.parse messages differently by version.
    const before = body.slice(0, position).split("\n");
    const where = `at line ${before.length}, column ${(before.at(-1) ?? "").length + 1}`;
    return {
      problem: {
        file,
        path: "",
        message: truncated
          ? `is not complete JSON (it breaks ${where}); the export was cut off. Export it again with ConvertTo-Json -Depth 5.`
          : `is not valid JSON (it breaks ${where}). Export it again with ConvertTo-Json -Depth 5.`,
      },
    };
  }
}

/** The records of an export: a ConvertTo-Json array, a single object, or a REST body `{"value":[...]}`. */
export function exportRecords(json: unknown): { records: readonly unknown[]; prefix: (i: number) => string } {
  if (Array.isArray(json)) return { records: json, prefix: (i) => `[${i}]` };
  if (isObject(json) && Array.isArray(json.value) && !("Name" in json) && !("Thumbprint" in json)) {
    return { records: json.value, prefix: (i) => `value[${i}]` };
  }
  if (json === undefined) return { records: [], prefix: (i) => `[${i}]` };
  return { records: [json], prefix: () => "" };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function join(prefix: string, field: string): string {
  return prefix === "" ? field : `${prefix}.${field}`;
}

/** A record's field, matched case-insensitively (REST and PowerShell agree on names, not always on case). */
function field(record: Record<string, unknown>, name: string): unknown {
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}

/** Windows PowerShell wraps some values: `{"value":[...],"Count":n}`, `{"value":"/Date(..)/","DateTime":"..."}`. */
function unwrap(value: unknown): unknown {
  if (isObject(value) && "value" in value && ("Count" in value || "DateTime" in value || "DisplayHint" in value)) return value.value;
  return value;
}

function list(value: unknown): unknown[] {
  const v = unwrap(value);
  if (v === undefined || v === null || v === "") return [];
  return Array.isArray(v) ? v : [v];
}

function readEnum(value: unknown, name: EnumName, path: string, problems: Problems): string | undefined {
  const v = unwrap(value);
  if (v === undefined || v === null || v === "") return undefined;
  const table: Record<number, string> = EXCHANGE_ENUMS[name];
  const names = Object.values(table);
  const shown = [...names].sort();
  const expected = `expected ${shown.slice(0, -1).join(", ")}${shown.length > 1 ? " or " : ""}${shown.at(-1)}`;
  if (typeof v === "number" && table[v] !== undefined) return table[v];
  if (typeof v === "string") {
    const match = names.find((n) => n.toLowerCase() === v.trim().toLowerCase());
    if (match) return match;
    if (/^\d+$/.test(v.trim()) && table[Number(v)] !== undefined) return table[Number(v)];
  }
  problems.add(path, `unknown value ${JSON.stringify(v)} (${expected})`);
  return undefined;
}

function readBoolean(value: unknown, path: string, problems: Problems): boolean | undefined {
  const v = unwrap(value);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === "true";
  if (v === 0 || v === 1) return v === 1;
  problems.add(path, `${JSON.stringify(v)} is not a boolean (expected true or false)`);
  return undefined;
}

function readString(value: unknown): string | undefined {
  const v = unwrap(value);
  if (typeof v === "string") return v.trim() === "" ? undefined : v.trim();
  if (typeof v === "number") return String(v);
  return undefined;
}

/**
 * A domain-like value: a string, or the object PowerShell writes for SmtpDomain,
 * SmtpDomainWithSubdomains, Hostname and TlsCertificate ({Domain}, {Address}, {HostnameString}...).
 * `Address` comes first: a SmtpDomainWithSubdomains for `*.contoso.com` is
 * `{"Address":"*.contoso.com","Domain":"contoso.com","IncludeSubDomains":true}`, and only Address
 * keeps the wildcard. (A SmartHost's Address is an IPAddress object, which yields no text here.)
 */
function domainText(value: unknown): string | undefined {
  const v = unwrap(value);
  if (typeof v === "string") return v.trim() === "" ? undefined : v.trim();
  if (!isObject(v)) return undefined;
  for (const key of ["Address", "Domain", "HostnameString", "SmtpDomain", "CertificateName", "Name"]) {
    const inner = field(v, key);
    if (inner !== undefined && inner !== null) {
      const text = domainText(inner);
      if (text) return text;
    }
  }
  return undefined;
}

const DATE_MS = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A date as exports write it: `/Date(ms)/` (ConvertTo-Json in 5.1) or ISO 8601 (PowerShell 7,
 * REST, Export-Clixml `<DT>`). Each field is checked, so 2026-02-30 is refused instead of becoming
 * 2 March as `new Date` would make it.
 */
export function parseStrictDate(text: string): Date | undefined {
  const value = text.trim();
  const ms = DATE_MS.exec(value);
  if (ms) return new Date(Number(ms[1]));
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  if ((month as number) < 1 || (month as number) > 12) return undefined;
  const days = new Date(Date.UTC(year as number, month as number, 0)).getUTCDate();
  if ((day as number) < 1 || (day as number) > days || hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[7];
  const date = new Date(zone === undefined && m[4] === undefined ? `${value}T00:00:00Z` : value.replace(" ", "T"));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function readDate(value: unknown, path: string, problems: Problems): Date | undefined {
  const v = unwrap(value);
  if (v === undefined || v === null || v === "") {
    problems.add(path, "is missing (expected a date such as /Date(1767225600000)/ or 2026-01-01T00:00:00Z)");
    return undefined;
  }
  if (typeof v === "string") {
    const date = parseStrictDate(v);
    if (date) return date;
  }
  problems.add(
    path,
    `${JSON.stringify(v)} is not a date (expected /Date(1767225600000)/ or an ISO 8601 date that exists, such as 2026-02-28T00:00:00Z)`,
  );
  return undefined;
}

/** `smtp:*;1` -> `*`, `SMTP:contoso.mail.onmicrosoft.com;1` -> `contoso.mail.onmicrosoft.com`, objects by Address/Domain. */
export function addressSpaceText(value: unknown): string | undefined {
  const v = unwrap(value);
  if (isObject(v)) {
    const address = domainText(field(v, "Address")) ?? domainText(field(v, "Domain"));
    return address?.toLowerCase();
  }
  if (typeof v !== "string" || v.trim() === "") return undefined;
  return normalizeAddressSpace(v);
}

/** SenderIPAddresses entries: strings, or IPRange objects ({LowerBound, UpperBound, CIDRLength, RangeFormat}). */
function ipText(value: unknown): string | undefined {
  const v = unwrap(value);
  if (typeof v === "string") return v.trim();
  if (!isObject(v)) return undefined;
  const expression = readString(field(v, "Expression"));
  if (expression) return expression;
  const lower = addressText(field(v, "LowerBound"));
  const upper = addressText(field(v, "UpperBound"));
  if (!lower) return undefined;
  const cidr = unwrap(field(v, "CIDRLength"));
  const format = unwrap(field(v, "RangeFormat"));
  if (lower === upper || upper === undefined) return lower;
  if (typeof cidr === "number" && (format === "CIDR" || format === 2 || format === undefined)) return `${lower}/${cidr}`;
  return `${lower}-${upper}`;
}

function addressText(value: unknown): string | undefined {
  const v = unwrap(value);
  if (typeof v === "string") return v;
  if (isObject(v)) return readString(field(v, "IPAddressToString")) ?? readString(field(v, "Address"));
  return undefined;
}

/** Smart hosts: "host", "[10.0.0.1]", or SmartHost objects ({Domain:{HostnameString}, Address, IsIPAddress}). */
function smartHostText(value: unknown): string | undefined {
  const v = unwrap(value);
  if (typeof v === "string")
    return v
      .trim()
      .replace(/^\[(.*)\]$/, "$1")
      .toLowerCase();
  if (!isObject(v)) return undefined;
  if (unwrap(field(v, "IsIPAddress")) === true) return addressText(field(v, "Address"));
  return domainText(field(v, "Domain"))?.toLowerCase() ?? domainText(field(v, "Address"))?.toLowerCase();
}

/** TlsCertificateName: "<I>issuer<S>subject", or the SmtpX509Identifier object. */
function tlsCertificateNameText(value: unknown): string | undefined {
  const v = unwrap(value);
  if (typeof v === "string") return v.trim() === "" ? undefined : v.trim();
  if (!isObject(v)) return undefined;
  const issuer = readString(field(v, "CertificateIssuer"));
  const subject = readString(field(v, "CertificateSubject"));
  return issuer !== undefined && subject !== undefined ? `<I>${issuer}<S>${subject}` : undefined;
}

/** A value as a message quotes it: JSON, cut at 80 characters. */
export function shown(value: unknown): string {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isEmpty(value: unknown): boolean {
  const v = unwrap(value);
  return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
}

/**
 * The entries of a multi-valued property, each read by `read`; an entry it cannot read is a problem
 * naming it (`[0].SenderIPAddresses[1]: {"IPAddress":"198.51.100.7"} is not ...`), never left out.
 */
function entries(
  value: unknown,
  path: string,
  problems: Problems,
  read: (entry: unknown) => string | undefined,
  expected: string,
): string[] {
  const out: string[] = [];
  list(value).forEach((entry, j) => {
    if (entry === null || entry === "") return;
    const text = read(entry);
    if (text === undefined || text === "") problems.add(`${path}[${j}]`, `${shown(entry)} is not ${expected}`);
    else out.push(text);
  });
  return out;
}

/** A single-valued property read by `read`; a value of another type or shape is a problem, not "absent". */
function single(
  value: unknown,
  path: string,
  problems: Problems,
  read: (v: unknown) => string | undefined,
  expected: string,
): string | undefined {
  if (isEmpty(value)) return undefined;
  const text = read(value);
  if (text === undefined) problems.add(path, `${shown(unwrap(value))} is not ${expected}`);
  return text;
}

function ref(kind: ResourceRef["kind"], name: string, source: string): ResourceRef {
  return { kind, name, source };
}

function zodProblems(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }, prefix: string, problems: Problems) {
  for (const issue of error.issues) problems.add(join(prefix, issue.path.map(String).join(".") || "(record)"), issue.message);
}

export interface ReadResult<T> {
  readonly items: T[];
  readonly problems: ExchangeProblem[];
  /** Records in the file, read or not. */
  readonly records: number;
}

/**
 * Get-AcceptedDomain: the tenant (its initial domain: the `InitialDomain` record, else `tenantHint`,
 * e.g. the export folder name) with every accepted domain.
 */
export function readAcceptedDomains(json: unknown, source: string, tenantHint?: string): ReadResult<Tenant> {
  const problems = new Problems(source);
  const { records, prefix } = exportRecords(json);
  const domains: string[] = [];
  let initial: string | undefined;
  let initialAt: string | undefined;
  records.forEach((record, i) => {
    const at = prefix(i);
    if (!isObject(record)) {
      problems.add(at || "(record)", `is ${shown(record)}, not an object (expected a Get-AcceptedDomain record)`);
      return;
    }
    const rawField = field(record, "DomainName") ?? field(record, "Name");
    const raw = single(rawField, join(at, "DomainName"), problems, domainText, "a domain name");
    if (raw === undefined) {
      if (isEmpty(rawField)) problems.add(join(at, "DomainName"), "is missing");
      return;
    }
    readEnum(field(record, "DomainType"), "DomainType", join(at, "DomainType"), problems);
    try {
      const domain = normalizeDomain(raw, "DomainName");
      domains.push(domain);
      if (readBoolean(field(record, "InitialDomain"), join(at, "InitialDomain"), problems) === true) {
        if (initial !== undefined && initial !== domain) {
          problems.add(
            join(at, "InitialDomain"),
            `is true for "${domain}" and for "${initial}" (${initialAt}); a tenant has one initial domain, so this file mixes two tenants. Export each tenant into its own folder.`,
          );
        } else {
          initial = domain;
          initialAt = join(at, "DomainName");
        }
      }
    } catch (error) {
      problems.add(join(at, "DomainName"), (error as Error).message);
    }
  });
  const name = initial ?? tenantHint;
  if (name === undefined) {
    problems.add("", "has no record with InitialDomain true; name the export folder after the tenant's initial domain");
    return { items: [], problems: problems.list, records: records.length };
  }
  if (initial !== undefined && tenantHint !== undefined && initial !== tenantHint.toLowerCase()) {
    problems.add(
      "",
      `belongs to tenant "${initial}" (InitialDomain) but is filed under "${tenantHint}"; move it to a folder named ${initial}`,
    );
  }
  const parsed = TenantSchema.safeParse({ name, acceptedDomains: [...new Set(domains)], source });
  if (!parsed.success) {
    zodProblems(parsed.error, "", problems);
    return { items: [], problems: problems.list, records: records.length };
  }
  return { items: [parsed.data], problems: problems.list, records: records.length };
}

/** Get-InboundConnector (Exchange Online) for one tenant. */
export function readInboundConnectors(
  json: unknown,
  source: string,
  tenant: string,
  options: {
    /** Names the add-on service (signature service, CRM, gateway) an inbound connector belongs to; Exchange records none. */
    readonly addOnService?: (connectorName: string, tenant: string) => string | undefined;
  } = {},
): ReadResult<InboundConnector> {
  const problems = new Problems(source);
  const { records, prefix } = exportRecords(json);
  const items: InboundConnector[] = [];
  records.forEach((record, i) => {
    const at = prefix(i);
    if (!isObject(record)) {
      problems.add(at || "(record)", `is ${shown(record)}, not an object (expected a Get-InboundConnector record)`);
      return;
    }
    const before = problems.list.length;
    const name = single(field(record, "Name"), join(at, "Name"), problems, readString, "a connector name (a string)");
    if (isEmpty(field(record, "Name"))) problems.add(join(at, "Name"), "is missing; every connector needs a Name");
    const rawType = field(record, "ConnectorType");
    const connectorType = readEnum(rawType, "ConnectorType", join(at, "ConnectorType"), problems);
    if (rawType === undefined || rawType === null) problems.add(join(at, "ConnectorType"), "is missing (expected OnPremises or Partner)");
    readEnum(field(record, "ConnectorSource"), "ConnectorSource", join(at, "ConnectorSource"), problems);
    const bool = (key: string) => readBoolean(field(record, key), join(at, key), problems);
    const tlsName = single(
      field(record, "TlsSenderCertificateName"),
      join(at, "TlsSenderCertificateName"),
      problems,
      domainText,
      "a certificate domain (a string such as relay.contoso.com)",
    );
    const candidate = {
      ref: ref("inboundConnector", name ?? `(unnamed ${at})`, source),
      name,
      tenant,
      connectorType,
      enabled: bool("Enabled"),
      tlsSenderCertificateName: tlsName,
      senderIPAddresses: entries(
        field(record, "SenderIPAddresses"),
        join(at, "SenderIPAddresses"),
        problems,
        ipText,
        'an IP address or range (expected a string such as "198.51.100.7" or "198.51.100.0/24", or an IPRange object)',
      ),
      senderDomains: entries(
        field(record, "SenderDomains"),
        join(at, "SenderDomains"),
        problems,
        addressSpaceText,
        'a sender domain (expected a string such as "smtp:*;1" or an AddressSpace object)',
      ),
      requireTls: bool("RequireTls"),
      restrictDomainsToCertificate: bool("RestrictDomainsToCertificate"),
      restrictDomainsToIPAddresses: bool("RestrictDomainsToIPAddresses"),
      treatMessagesAsInternal: bool("TreatMessagesAsInternal"),
      cloudServicesMailEnabled: bool("CloudServicesMailEnabled"),
      addOnService: name === undefined ? undefined : options.addOnService?.(name, tenant),
      managedBy: managedByFromComment(field(record, "Comment")),
    };
    if (problems.list.length > before) return;
    const parsed = InboundConnectorSchema.safeParse(withoutUndefined(candidate));
    if (!parsed.success) {
      zodProblems(parsed.error, at, problems);
      return;
    }
    items.push(parsed.data);
  });
  return { items, problems: problems.list, records: records.length };
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Get-SendConnector (on-premises). Tenants are not known yet: `assembleInventory` maps them. */
export function readSendConnectors(json: unknown, source: string): ReadResult<SendConnector> {
  const problems = new Problems(source);
  const { records, prefix } = exportRecords(json);
  const items: SendConnector[] = [];
  records.forEach((record, i) => {
    const at = prefix(i);
    if (!isObject(record)) {
      problems.add(at || "(record)", `is ${shown(record)}, not an object (expected a Get-SendConnector record)`);
      return;
    }
    const before = problems.list.length;
    const name = single(field(record, "Name"), join(at, "Name"), problems, readString, "a connector name (a string)");
    if (isEmpty(field(record, "Name"))) problems.add(join(at, "Name"), "is missing; every connector needs a Name");
    const bool = (key: string) => readBoolean(field(record, key), join(at, key), problems);
    const tlsDomainRaw = single(
      field(record, "TlsDomain"),
      join(at, "TlsDomain"),
      problems,
      domainText,
      "a domain (a string such as mail.protection.outlook.com)",
    );
    const candidate = {
      ref: ref("sendConnector", name ?? `(unnamed ${at})`, source),
      name,
      addressSpaces: entries(
        field(record, "AddressSpaces"),
        join(at, "AddressSpaces"),
        problems,
        addressSpaceText,
        'an address space (expected a string such as "SMTP:contoso.mail.onmicrosoft.com;1" or an AddressSpace object with Address or Domain)',
      ),
      smartHosts: entries(
        field(record, "SmartHosts"),
        join(at, "SmartHosts"),
        problems,
        smartHostText,
        'a smart host (expected a host name, "[10.0.0.1]" or a SmartHost object with Domain or Address)',
      ),
      dnsRoutingEnabled: bool("DNSRoutingEnabled"),
      requireTls: bool("RequireTLS"),
      tlsAuthLevel: readEnum(field(record, "TlsAuthLevel"), "TlsAuthLevel", join(at, "TlsAuthLevel"), problems),
      tlsDomain: tlsDomainRaw,
      tlsCertificateName: single(
        field(record, "TlsCertificateName"),
        join(at, "TlsCertificateName"),
        problems,
        tlsCertificateNameText,
        'a certificate name (expected "<I>issuer<S>subject" or an SmtpX509Identifier with CertificateIssuer and CertificateSubject)',
      ),
      cloudServicesMailEnabled: bool("CloudServicesMailEnabled"),
      enabled: bool("Enabled"),
      sourceTransportServers: entries(
        field(record, "SourceTransportServers"),
        join(at, "SourceTransportServers"),
        problems,
        domainText,
        "a server name",
      ),
      managedBy: managedByFromComment(field(record, "Comment")),
    };
    if (problems.list.length > before) return;
    const parsed = SendConnectorSchema.safeParse(withoutUndefined(candidate));
    if (!parsed.success) {
      zodProblems(parsed.error, at, problems);
      return;
    }
    items.push(parsed.data);
  });
  return { items, problems: problems.list, records: records.length };
}

const CN = /(?:^|,\s*)CN=([^,]+)/i;

/** Get-ExchangeCertificate. CertificateDomains that are not DNS names (NetBIOS server names) cover nothing and are dropped. */
export function readExchangeCertificates(json: unknown, source: string): ReadResult<Certificate> {
  const problems = new Problems(source);
  const { records, prefix } = exportRecords(json);
  const items: Certificate[] = [];
  records.forEach((record, i) => {
    const at = prefix(i);
    if (!isObject(record)) {
      problems.add(at || "(record)", `is ${shown(record)}, not an object (expected a Get-ExchangeCertificate record)`);
      return;
    }
    const before = problems.list.length;
    const rawData = unwrap(field(record, "RawData"));
    if (rawData !== undefined && rawData !== null) {
      const certificate = certificateFromRawData(rawData, record, at, source, problems);
      if (certificate) items.push(certificate);
      return;
    }
    const thumbprint = readString(field(record, "Thumbprint"));
    if (thumbprint === undefined)
      problems.add(join(at, "Thumbprint"), "is missing; export with Get-ExchangeCertificate | ConvertTo-Json -Depth 5");
    const subject = readString(field(record, "Subject"));
    if (subject === undefined) problems.add(join(at, "Subject"), "is missing");
    const issuer = readString(field(record, "Issuer"));
    if (issuer === undefined) problems.add(join(at, "Issuer"), "is missing");
    const notBefore = readDate(field(record, "NotBefore"), join(at, "NotBefore"), problems);
    const notAfter = readDate(field(record, "NotAfter"), join(at, "NotAfter"), problems);
    if (problems.list.length > before) return;
    const dnsNames = new Set<string>();
    for (const entry of list(field(record, "CertificateDomains"))) {
      const text = domainText(entry);
      if (text === undefined) continue;
      try {
        dnsNames.add(normalizeDomain(text, "CertificateDomains[]"));
      } catch {
        // "EXCH01" and other short names: Exchange lists them, no TLS peer can match them.
      }
    }
    let commonName: string | undefined;
    const cn = CN.exec(subject ?? "")?.[1];
    try {
      commonName = cn ? normalizeDomain(cn, "Subject CN") : undefined;
    } catch {
      commonName = undefined;
    }
    const parsed = CertificateSchema.safeParse(
      withoutUndefined({
        thumbprint,
        subject,
        issuer,
        commonName,
        dnsNames: [...dnsNames],
        notBefore,
        notAfter,
        ref: ref("certificate", `${thumbprint?.toUpperCase()} (${subject})`, source),
      }),
    );
    if (!parsed.success) {
      zodProblems(parsed.error, at, problems);
      return;
    }
    items.push(parsed.data);
  });
  return { items, problems: problems.list, records: records.length };
}

/**
 * A certificate from its DER bytes (`RawData`: what PowerShell serializes of an X509Certificate2,
 * base64 in Export-Clixml, a byte array or base64 string in JSON). Thumbprint (SHA-1 of the DER),
 * names and dates come from the certificate itself; a Thumbprint the export also states must agree.
 */
function certificateFromRawData(
  rawData: unknown,
  record: Record<string, unknown>,
  at: string,
  source: string,
  problems: Problems,
): Certificate | undefined {
  const path = join(at, "RawData");
  let der: Buffer | undefined;
  if (rawData instanceof Uint8Array) der = Buffer.from(rawData);
  else if (typeof rawData === "string" && /^[A-Za-z0-9+/\s]+={0,2}$/.test(rawData))
    der = Buffer.from(rawData.replace(/\s+/g, ""), "base64");
  else if (Array.isArray(rawData) && rawData.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
    der = Buffer.from(rawData as number[]);
  if (der === undefined || der.length === 0) {
    problems.add(path, `${shown(rawData)} is not the certificate's bytes (expected base64 or a byte array)`);
    return undefined;
  }
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString("base64")}\n-----END CERTIFICATE-----\n`;
  let certificate: Certificate;
  try {
    certificate = certificateFromPem(pem, path);
  } catch (error) {
    problems.add(path, `is not an X.509 certificate (${(error as Error).message.replace(/^.*?: /, "")})`);
    return undefined;
  }
  const stated = readString(field(record, "Thumbprint"))?.replace(/[\s:]/g, "").toUpperCase();
  if (stated !== undefined && stated !== certificate.thumbprint) {
    problems.add(
      join(at, "Thumbprint"),
      `"${stated}" does not match the certificate in RawData (SHA-1 of its DER: ${certificate.thumbprint}); the export is inconsistent. Export it again.`,
    );
    return undefined;
  }
  return { ...certificate, ref: ref("certificate", `${certificate.thumbprint} (${certificate.subject})`, source) };
}

/** What `assembleInventory` decided about records that are not part of any tenant's mail-flow path. */
export interface AssemblyNotes {
  /** Send connectors that route neither to a tenant in the run nor to Exchange Online (Internet, partners). */
  readonly skippedSendConnectors: readonly SendConnector[];
  /** Certificates no send connector presents (IIS, auth, expired leftovers). */
  readonly unusedCertificates: readonly Certificate[];
}

/**
 * Maps send connectors to the tenants they route to: a smart host that is one of Exchange Online's
 * inbound hosts in any cloud (`<prefix>.mail.protection.outlook.com`, `.mail.protection.office365.us`,
 * `.mail.protection.partner.outlook.cn`, or the DNSSEC MX `<prefix>.<id>.mx.microsoft` of MC1048624;
 * the prefix being the initial domain's or an accepted domain's), and an address space that is a
 * tenant's routing domain (`<tenant>.mail.onmicrosoft.com` and its cloud twins) or an accepted domain
 * held by exactly one tenant of the run. The lookups are built once for all connectors, so an
 * organization-wide audit stays linear.
 */
export function tenantRouter(tenants: readonly Tenant[]): (connector: Pick<SendConnector, "smartHosts" | "addressSpaces">) => string[] {
  const byHost = new Map<string, string>();
  const byDomain = new Map<string, string[]>();
  const names = new Set<string>();
  for (const tenant of tenants) {
    names.add(tenant.name);
    const cloud = mailCloudOf(tenant.name);
    byHost.set(mailHostKey(tenant.name, cloud), tenant.name);
    for (const domain of tenant.acceptedDomains) {
      const owners = byDomain.get(domain);
      if (owners) owners.push(tenant.name);
      else byDomain.set(domain, [tenant.name]);
      const key = mailHostKey(domain, cloud);
      if (cloudsOfTenant(domain).length === 0 && !byHost.has(key)) byHost.set(key, tenant.name);
    }
  }
  return (connector) => {
    const found = new Set<string>();
    for (const host of connector.smartHosts) {
      const key = mailHostKeyOf(host);
      const tenant = key === undefined ? undefined : byHost.get(key);
      if (tenant) found.add(tenant);
    }
    for (const space of connector.addressSpaces) {
      const initial = routingDomainTenant(space);
      if (initial !== undefined) {
        if (names.has(initial)) found.add(initial);
        continue;
      }
      // An accepted domain routes to its tenant only when exactly one tenant in the run has it.
      const owners = byDomain.get(space);
      if (owners?.length === 1 && owners[0]) found.add(owners[0]);
    }
    return [...found].sort();
  };
}

function pointsAtExchangeOnline(connector: Pick<SendConnector, "smartHosts" | "addressSpaces">): boolean {
  return (
    connector.smartHosts.some((h) => isExchangeOnlineMailHost(h)) ||
    connector.addressSpaces.some((a) => routingDomainTenant(a) !== undefined)
  );
}

/**
 * Puts the pieces together: maps each send connector to the tenants it routes to and links it
 * to the certificate its TlsCertificateName (`<I>issuer<S>subject`) selects. Send connectors that
 * route to no tenant and not to Exchange Online, and certificates no connector presents, are left
 * out of the inventory (reported in the notes): they are not on a tenant's mail-flow path.
 */
export function assembleInventory(parts: {
  tenants: readonly Tenant[];
  inboundConnectors: readonly InboundConnector[];
  sendConnectors: readonly SendConnector[];
  certificates: readonly Certificate[];
}): { inventory: Inventory; notes: AssemblyNotes } {
  const byName = new Map<string, Certificate[]>();
  for (const certificate of parts.certificates) {
    const key = exchangeTlsCertificateName(certificate);
    const list = byName.get(key);
    if (list) list.push(certificate);
    else byName.set(key, [certificate]);
  }
  const tenantsOf = tenantRouter(parts.tenants);
  const used = new Set<string>();
  const sendConnectors: SendConnector[] = [];
  const skippedSendConnectors: SendConnector[] = [];
  for (const connector of parts.sendConnectors) {
    const tenants = connector.tenants.length > 0 ? connector.tenants : tenantsOf(connector);
    if (tenants.length === 0 && !pointsAtExchangeOnline(connector)) {
      skippedSendConnectors.push(connector);
      continue;
    }
    let certificateThumbprint = connector.certificateThumbprint;
    if (certificateThumbprint === undefined && connector.tlsCertificateName) {
      // Among renewals with the same name Exchange picks the newest valid one.
      const candidates = byName.get(connector.tlsCertificateName);
      certificateThumbprint = candidates?.reduce((a, b) => (b.notAfter > a.notAfter ? b : a)).thumbprint;
    }
    if (certificateThumbprint) used.add(certificateThumbprint.toUpperCase());
    sendConnectors.push({ ...connector, tenants, ...(certificateThumbprint ? { certificateThumbprint } : {}) });
  }
  for (const connector of parts.inboundConnectors)
    if (connector.certificateThumbprint) used.add(connector.certificateThumbprint.toUpperCase());
  const certificates: Certificate[] = [];
  const unusedCertificates: Certificate[] = [];
  const seen = new Set<string>();
  for (const certificate of parts.certificates) {
    if (seen.has(certificate.thumbprint)) continue;
    seen.add(certificate.thumbprint);
    (used.has(certificate.thumbprint) || certificate.tenant ? certificates : unusedCertificates).push(certificate);
  }
  return {
    inventory: { tenants: [...parts.tenants], inboundConnectors: [...parts.inboundConnectors], sendConnectors, certificates },
    notes: { skippedSendConnectors, unusedCertificates },
  };
}
