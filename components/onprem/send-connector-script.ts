/**
 * Exchange Management Shell scripts for on-premises Send connectors.
 *
 * On-premises Exchange has no REST API, so Send connector changes are PowerShell. These
 * functions produce the exact script that is run (and that change-controlled environments can
 * review and run themselves). Every value is a single-quoted PowerShell literal — no
 * expansion, no sub-expressions — with embedded quotes doubled, including the typographic
 * single quotes PowerShell also accepts as quote characters. Control characters are refused
 * rather than escaped so a script line is always one statement line.
 *
 * Scripts are wrapped in one try/catch block so that `pwsh -Command -`, which reads stdin
 * statement by statement, still stops at the first error and exits non-zero instead of carrying
 * on and printing a half-filled result. Each cmdlet also gets `-ErrorAction Stop`, because
 * `$ErrorActionPreference` does not reach cmdlets proxied from a remote Exchange session. The
 * last stdout line is the connector as compact JSON.
 */
import { z } from "zod";

export const TLS_AUTH_LEVELS = ["EncryptionOnly", "CertificateValidation", "DomainValidation"] as const;
export const SEND_CONNECTOR_USAGES = ["Custom", "Internal", "Internet", "Partner"] as const;

export type TlsAuthLevel = (typeof TLS_AUTH_LEVELS)[number];
export type SendConnectorUsage = (typeof SEND_CONNECTOR_USAGES)[number];

/** Desired state of one on-premises Send connector (New-/Set-SendConnector parameters). */
export interface SendConnectorSpec {
  /** Connector name; also its identity. */
  name: string;
  /** -AddressSpaces, e.g. `contoso.mail.onmicrosoft.com` or `SMTP:contoso.com;1`. */
  addressSpaces: string[];
  /** -SmartHosts; empty when the connector routes by DNS. */
  smartHosts: string[];
  /** -SourceTransportServers (Mailbox/Edge server names); empty leaves Exchange's default. */
  sourceTransportServers: string[];
  /** -Fqdn used in HELO/EHLO; should match the certificate. */
  fqdn?: string;
  /** -RequireTLS */
  requireTls: boolean;
  /** -TlsAuthLevel */
  tlsAuthLevel: TlsAuthLevel;
  /** -TlsDomain (DomainValidation), e.g. mail.protection.outlook.com. */
  tlsDomain?: string;
  /** -TlsCertificateName, `<I>issuer<S>subject`, as computed from the certificate (see tlsCertificateThumbprint). */
  tlsCertificateName?: string;
  /**
   * SHA-1 thumbprint of the certificate TlsCertificateName names. When set, the script takes issuer
   * and subject from `Get-ExchangeCertificate -Thumbprint` on the server, the text Exchange itself
   * compares, instead of trusting the value computed here.
   */
  tlsCertificateThumbprint?: string;
  /** -CloudServicesMailEnabled */
  cloudServicesMailEnabled: boolean;
  /** -DNSRoutingEnabled */
  dnsRoutingEnabled: boolean;
  /** -Usage; New-SendConnector only (Exchange can't change it later). */
  usage?: SendConnectorUsage;
  /** -Comment */
  comment?: string;
}

/** What the scripts print: the connector as Get-SendConnector sees it, flattened to strings. */
export interface SendConnectorOutput {
  Identity: string;
  Name: string;
  Guid: string;
  Enabled: boolean;
  AddressSpaces: string[];
  SmartHosts: string[];
  SourceTransportServers: string[];
  Fqdn: string | null;
  RequireTLS: boolean;
  TlsAuthLevel: string | null;
  TlsDomain: string | null;
  TlsCertificateName: string | null;
  CloudServicesMailEnabled: boolean;
  DNSRoutingEnabled: boolean;
  Comment: string | null;
}

/** What the Remove script prints. */
export interface SendConnectorRemoval {
  Identity: string;
  Removed: true;
}

export class SendConnectorSpecError extends Error {
  override readonly name = "SendConnectorSpecError";
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** JSON-style quoting that also escapes characters JSON.stringify leaves raw. */
function showValue(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const text = z.string().superRefine((value, ctx) => {
  const match = CONTROL_CHARACTER.exec(value);
  if (match) {
    const code = (match[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
    ctx.addIssue({
      code: "custom",
      message: `${showValue(value)} contains a control character (U+${code}); values in generated scripts must be single-line text`,
    });
  } else if (value.trim() === "") {
    ctx.addIssue({ code: "custom", message: `${showValue(value)} must not be empty` });
  }
});

const SendConnectorSpecSchema = z.strictObject({
  name: text,
  addressSpaces: z.array(text).min(1, "must list at least one address space"),
  smartHosts: z.array(text),
  sourceTransportServers: z.array(text),
  fqdn: text.optional(),
  requireTls: z.boolean(),
  tlsAuthLevel: z.enum(TLS_AUTH_LEVELS),
  tlsDomain: text.optional(),
  tlsCertificateName: text.optional(),
  tlsCertificateThumbprint: z
    .string()
    .refine((value) => /^[0-9A-Fa-f]{40}$/.test(value), {
      error: (issue) => `${showValue(String(issue.input))} must be the certificate's SHA-1 thumbprint (40 hex digits)`,
    })
    .optional(),
  cloudServicesMailEnabled: z.boolean(),
  dnsRoutingEnabled: z.boolean(),
  usage: z.enum(SEND_CONNECTOR_USAGES).optional(),
  comment: text.optional(),
});

function formatIssuePath(segments: readonly PropertyKey[]): string {
  const [head, ...rest] = segments;
  return `'${String(head)}${rest.map((s) => (typeof s === "number" ? `[${s}]` : `.${String(s)}`)).join("")}'`;
}

/** Checks a spec and returns a clean copy; throws SendConnectorSpecError naming each bad field and value. */
export function validateSendConnectorSpec(spec: unknown): SendConnectorSpec {
  const parsed = SendConnectorSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${formatIssuePath(issue.path)} ${issue.message}` : issue.message,
    );
    throw new SendConnectorSpecError(`Invalid Send connector spec: ${problems.join("; ")}.`);
  }
  return parsed.data;
}

function validateName(name: unknown, field: string): string {
  const parsed = text.safeParse(name);
  if (!parsed.success) {
    throw new SendConnectorSpecError(`Invalid Send connector ${field}: ${parsed.error.issues.map((i) => i.message).join("; ")}.`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// PowerShell literals
// ---------------------------------------------------------------------------------------------

// PowerShell treats ' and the typographic single quotes U+2018, U+2019, U+201A, U+201B alike.
const SINGLE_QUOTE_CHARACTERS = /['\u2018\u2019\u201A\u201B]/g;

/** A single-quoted PowerShell string literal: no expansion; quote characters doubled. */
export function quotePowerShellString(value: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new SendConnectorSpecError(
      `Refusing to quote ${showValue(value)}: it contains a control character; values in generated scripts must be single-line text.`,
    );
  }
  return `'${value.replace(SINGLE_QUOTE_CHARACTERS, (quote) => quote + quote)}'`;
}

/** `@('a','b')` */
export function powerShellArray(values: readonly string[]): string {
  return `@(${values.map(quotePowerShellString).join(",")})`;
}

export function powerShellBoolean(value: boolean): string {
  return value ? "$true" : "$false";
}

// ---------------------------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------------------------

/** A Set-/New-SendConnector parameter value as the scripts write it (`null` → `$null`). */
export type ParameterValue = string | boolean | readonly string[] | null;

function literal(value: ParameterValue): string {
  if (value === null) return "$null";
  if (typeof value === "boolean") return powerShellBoolean(value);
  if (typeof value === "string") return quotePowerShellString(value);
  return powerShellArray(value);
}

const INDENT = "  ";

// Flattens the connector to strings: raw AddressSpace/SmartHost/enum objects would serialize
// as nested objects or numbers in Windows PowerShell 5.1, and a one-element array assigned
// in a hashtable stays an array (a pipeline would unwrap it).
const OUTPUT_LINES = [
  "Identity = [string]$connector.Identity",
  "Name = [string]$connector.Name",
  "Guid = [string]$connector.Guid",
  "Enabled = [bool]$connector.Enabled",
  "AddressSpaces = [string[]]@($connector.AddressSpaces | ForEach-Object { $_.ToString() })",
  "SmartHosts = [string[]]@($connector.SmartHosts | ForEach-Object { $_.ToString() })",
  "SourceTransportServers = [string[]]@($connector.SourceTransportServers | ForEach-Object { $_.ToString() })",
  "Fqdn = [string]$connector.Fqdn",
  "RequireTLS = [bool]$connector.RequireTLS",
  "TlsAuthLevel = [string]$connector.TlsAuthLevel",
  "TlsDomain = [string]$connector.TlsDomain",
  "TlsCertificateName = [string]$connector.TlsCertificateName",
  "CloudServicesMailEnabled = [bool]$connector.CloudServicesMailEnabled",
  "DNSRoutingEnabled = [bool]$connector.DNSRoutingEnabled",
  "Comment = [string]$connector.Comment",
];

function emitObject(lines: readonly string[]): string[] {
  return [
    `${INDENT}[pscustomobject]@{`,
    ...lines.map((line) => `${INDENT}${INDENT}${line}`),
    `${INDENT}} | ConvertTo-Json -Depth 4 -Compress`,
  ];
}

function splat(parameters: ReadonlyArray<[string, ParameterValue]>): string[] {
  return [`${INDENT}$parameters = @{`, ...parameters.map(([name, value]) => `${INDENT}${INDENT}${name} = ${literal(value)}`), `${INDENT}}`];
}

function wrap(purpose: string, body: readonly string[]): string {
  return [
    `# Generated by mailflow-guard: ${purpose}`,
    "$ErrorActionPreference = 'Stop'",
    "try {",
    ...body,
    "}",
    "catch {",
    `${INDENT}[Console]::Error.WriteLine($_.ToString())`,
    `${INDENT}exit 1`,
    "}",
    // A blank line ends the statement when the script is read from stdin (`-Command -`).
    "",
    "",
  ].join("\n");
}

function newParameters(spec: SendConnectorSpec): Array<[string, ParameterValue]> {
  const parameters: Array<[string, ParameterValue]> = [
    ["Name", spec.name],
    ["AddressSpaces", spec.addressSpaces],
  ];
  if (spec.smartHosts.length > 0) parameters.push(["SmartHosts", spec.smartHosts]);
  if (spec.sourceTransportServers.length > 0) parameters.push(["SourceTransportServers", spec.sourceTransportServers]);
  if (spec.fqdn !== undefined) parameters.push(["Fqdn", spec.fqdn]);
  parameters.push(["RequireTLS", spec.requireTls], ["TlsAuthLevel", spec.tlsAuthLevel]);
  if (spec.tlsDomain !== undefined) parameters.push(["TlsDomain", spec.tlsDomain]);
  if (spec.tlsCertificateName !== undefined) parameters.push(["TlsCertificateName", spec.tlsCertificateName]);
  parameters.push(["CloudServicesMailEnabled", spec.cloudServicesMailEnabled], ["DNSRoutingEnabled", spec.dnsRoutingEnabled]);
  if (spec.usage !== undefined) parameters.push(["Usage", spec.usage]);
  if (spec.comment !== undefined) parameters.push(["Comment", spec.comment]);
  return parameters;
}

/**
 * Overwrites the splatted TlsCertificateName with the server's own rendering of the certificate's
 * issuer and subject (New-SendConnector docs: "<I>$($cert.Issuer)<S>$($cert.Subject)"): Windows'
 * text is what Exchange matches, and a mismatch stops mail with 454 4.7.5.
 */
function certificateLookup(thumbprint: string): string[] {
  return [
    `${INDENT}$certificate = Get-ExchangeCertificate -Thumbprint ${quotePowerShellString(thumbprint.toUpperCase())} -ErrorAction Stop`,
    `${INDENT}$parameters.TlsCertificateName = '<I>' + $certificate.Issuer + '<S>' + $certificate.Subject`,
  ];
}

/** New-SendConnector with every parameter of the spec; prints the created connector. */
export function newSendConnectorScript(spec: SendConnectorSpec): string {
  const checked = validateSendConnectorSpec(spec);
  const parameters = newParameters(checked);
  const lookup = checked.tlsCertificateThumbprint ? certificateLookup(checked.tlsCertificateThumbprint) : [];
  if (lookup.length > 0 && !parameters.some(([name]) => name === "TlsCertificateName")) parameters.push(["TlsCertificateName", null]);
  return wrap("create the on-premises Send connector.", [
    ...splat(parameters),
    ...lookup,
    `${INDENT}$connector = New-SendConnector @parameters -ErrorAction Stop`,
    ...emitObject(OUTPUT_LINES),
  ]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = [...a].sort();
  const sortedB = [...b].sort();
  return sortedA.every((value, index) => value === sortedB[index]);
}

/**
 * The Set-SendConnector parameters that differ between two specs, in script order. Lists are
 * compared as sets (order carries no meaning to Exchange); a removed optional value or an
 * emptied list becomes `null` (`$null` clears it). Throws when `usage` differs: Exchange can
 * only set it at creation.
 */
export function changedSendConnectorParameters(oldSpec: SendConnectorSpec, newSpec: SendConnectorSpec): Array<[string, ParameterValue]> {
  const before = validateSendConnectorSpec(oldSpec);
  const after = validateSendConnectorSpec(newSpec);
  if (before.usage !== after.usage) {
    throw new SendConnectorSpecError(
      `Invalid Send connector change: 'usage' can't change from ${showValue(before.usage ?? "(unset)")} to ${showValue(after.usage ?? "(unset)")}; Set-SendConnector has no -Usage. Remove and recreate the connector, or keep usage unchanged.`,
    );
  }
  const changed: Array<[string, ParameterValue]> = [];
  const list = (name: string, a: string[], b: string[]) => {
    if (!sameList(a, b)) changed.push([name, b.length > 0 ? b : null]);
  };
  const scalar = <T extends string | boolean>(name: string, a: T | undefined, b: T | undefined) => {
    if (a !== b) changed.push([name, b ?? null]);
  };
  scalar("Name", before.name, after.name);
  list("AddressSpaces", before.addressSpaces, after.addressSpaces);
  list("SmartHosts", before.smartHosts, after.smartHosts);
  list("SourceTransportServers", before.sourceTransportServers, after.sourceTransportServers);
  scalar("Fqdn", before.fqdn, after.fqdn);
  scalar("RequireTLS", before.requireTls, after.requireTls);
  scalar("TlsAuthLevel", before.tlsAuthLevel, after.tlsAuthLevel);
  scalar("TlsDomain", before.tlsDomain, after.tlsDomain);
  scalar("TlsCertificateName", before.tlsCertificateName, after.tlsCertificateName);
  scalar("CloudServicesMailEnabled", before.cloudServicesMailEnabled, after.cloudServicesMailEnabled);
  scalar("DNSRoutingEnabled", before.dnsRoutingEnabled, after.dnsRoutingEnabled);
  scalar("Comment", before.comment, after.comment);
  return changed;
}

/**
 * Set-SendConnector with only the changed parameters (a rename included), then prints the
 * connector. With nothing changed, the script only reads and prints it.
 */
export function setSendConnectorScript(oldSpec: SendConnectorSpec, newSpec: SendConnectorSpec): string {
  const changed = changedSendConnectorParameters(oldSpec, newSpec);
  const thumbprint = newSpec.tlsCertificateThumbprint;
  const certificateChanged =
    thumbprint !== undefined &&
    (thumbprint.toUpperCase() !== oldSpec.tlsCertificateThumbprint?.toUpperCase() ||
      changed.some(([name]) => name === "TlsCertificateName"));
  if (certificateChanged && !changed.some(([name]) => name === "TlsCertificateName")) {
    changed.push(["TlsCertificateName", newSpec.tlsCertificateName ?? null]);
  }
  const body: string[] = [];
  if (changed.length > 0) {
    body.push(
      ...splat(changed),
      ...(certificateChanged ? certificateLookup(thumbprint) : []),
      `${INDENT}Set-SendConnector -Identity ${quotePowerShellString(oldSpec.name)} @parameters -ErrorAction Stop`,
    );
  }
  body.push(
    `${INDENT}$connector = Get-SendConnector -Identity ${quotePowerShellString(newSpec.name)} -ErrorAction Stop`,
    ...emitObject(OUTPUT_LINES),
  );
  return wrap(changed.length > 0 ? "update the on-premises Send connector." : "read the on-premises Send connector (no changes).", body);
}

/** Remove-SendConnector without a confirmation prompt; prints `{"Identity":…,"Removed":true}`. */
export function removeSendConnectorScript(name: string): string {
  const identity = validateName(name, "name");
  return wrap("remove the on-premises Send connector.", [
    `${INDENT}Remove-SendConnector -Identity ${quotePowerShellString(identity)} -Confirm:$false -ErrorAction Stop`,
    ...emitObject([`Identity = ${quotePowerShellString(identity)}`, "Removed = $true"]),
  ]);
}

/** Get-SendConnector for one connector; prints it. Fails (exit 1) when it doesn't exist. */
export function getSendConnectorScript(name: string): string {
  const identity = validateName(name, "name");
  return wrap("read the on-premises Send connector.", [
    `${INDENT}$connector = Get-SendConnector -Identity ${quotePowerShellString(identity)} -ErrorAction Stop`,
    ...emitObject(OUTPUT_LINES),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const emptyToNull = z
  .string()
  .nullable()
  .transform((value) => (value === null || value === "" ? null : value));
// ConvertTo-Json in Windows PowerShell 5.1 writes an empty [string[]] as [] but a $null one as null.
const stringList = z
  .array(z.string())
  .nullable()
  .transform((value) => value ?? []);

const SendConnectorOutputSchema = z.object({
  Identity: z.string(),
  Name: z.string(),
  Guid: z.string(),
  Enabled: z.boolean(),
  AddressSpaces: stringList,
  SmartHosts: stringList,
  SourceTransportServers: stringList,
  Fqdn: emptyToNull,
  RequireTLS: z.boolean(),
  TlsAuthLevel: emptyToNull,
  TlsDomain: emptyToNull,
  TlsCertificateName: emptyToNull,
  CloudServicesMailEnabled: z.boolean(),
  DNSRoutingEnabled: z.boolean(),
  Comment: emptyToNull,
});

/** Reads the JSON a New/Set/Get script printed; empty strings become null. */
export function parseSendConnectorOutput(json: unknown): SendConnectorOutput {
  const parsed = SendConnectorOutputSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`Unexpected Send connector output: ${problems.join("; ")}.`);
  }
  return parsed.data;
}
