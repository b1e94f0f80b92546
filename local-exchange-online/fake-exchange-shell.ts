#!/usr/bin/env node
/**
 * Fake Exchange Management Shell — a STAND-IN for on-premises Exchange's PowerShell, not
 * Microsoft's product. Tests and the demo use it as the runner command instead of `pwsh` with
 * the Exchange snap-in:
 *
 *   MFG_FAKE_EXCHANGE_SHELL_STATE=/tmp/state.json node dist/local-exchange-online/fake-exchange-shell.js < script.ps1
 *
 * It reads a script from stdin and understands exactly the subset of PowerShell that
 * components/onprem/send-connector-script.ts generates: `$ErrorActionPreference`, a try/catch
 * wrapper, a splatting hashtable of literals, New-/Set-/Remove-/Get-SendConnector calls and
 * the `[pscustomobject]@{…} | ConvertTo-Json` result, and `Get-ExchangeCertificate -Thumbprint` with the
 * one assignment that builds TlsCertificateName from its Issuer and Subject. Values are parsed with PowerShell's
 * single-quoted string rules (all five single-quote characters, doubled to escape), so
 * whatever a literal contains — `;`, `$()`, backticks, smart quotes — stays data. Anything it
 * doesn't recognise is a syntax error (exit 2) before any change is made; cmdlet failures
 * print an Exchange-like message on stderr and exit 1. State lives in the JSON file named by
 * MFG_FAKE_EXCHANGE_SHELL_STATE.
 *
 * It also runs the Exchange Management Shell lines of `mailflow-guard plan`'s runbook (one statement
 * per line): certificate requests and their completion (New-/Import-/Enable-/Export-/Get-ExchangeCertificate
 * with -Server), New-Item -ItemType Directory, Read-Host -AsSecureString, variables and their properties
 * ($cert.Thumbprint, "<I>$($cert.Issuer)<S>$($cert.Subject)"), comma lists and bareword arguments, and the
 * exports `Get-SendConnector | ConvertTo-Json -Depth 5 | Set-Content -Path …`. Parameters as on Microsoft
 * Learn (New-ExchangeCertificate, Import-ExchangeCertificate, Enable-ExchangeCertificate,
 * Export-ExchangeCertificate, Get-ExchangeCertificate). ASSUMPTIONS of the stand-in, beyond the store below:
 * the servers' disks are folders under MFG_FAKE_EXCHANGE_SHELL_FILES (\\EX01\C$\x is <that>/EX01/C$/x; a
 * relative path is relative to the working folder); a certificate request file and an exported PFX are
 * JSON descriptions, not PKCS #10 / PKCS #12 (no private key exists here); Enable-ExchangeCertificate does
 * not ask whether to replace the default SMTP certificate.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCertificatePem } from "../policy/src/engine/x509";

export const STATE_ENV = "MFG_FAKE_EXCHANGE_SHELL_STATE";
/**
 * ASSUMPTION of the stand-in: the server's certificate store is a folder of public PEM files
 * (default: the repository's examples/certs, the certificates the demo and the e2e tests use).
 * Issuer and Subject are rendered with the engine's copy of Windows' CertNameToStr rules, so the
 * stand-in cannot prove that rendering; it proves that the script uses what the server reports.
 */
export const CERTIFICATES_ENV = "MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES";
const FAKE_DOMAIN_CONTROLLER = "DC01.fake-exchange-shell.local";

export type Value = string | boolean | null | string[] | Reference;

/** A value computed when the statement runs: a variable or its property, a file's bytes, a TlsCertificateName. */
export type Reference =
  | { readonly variable: string; readonly property?: string }
  | { readonly bytesOf: string }
  | { readonly tlsNameOf: string }
  /** What Read-Host -AsSecureString returned: opaque, one per call. */
  | { readonly secureString: string };

/** The servers' disks (see the header). */
export const FILES_ENV = "MFG_FAKE_EXCHANGE_SHELL_FILES";
/** The server the stand-in shell runs on (what a cmdlet without -Server acts on); unset, only the shared store. */
export const LOCAL_SERVER_ENV = "MFG_FAKE_EXCHANGE_SHELL_SERVER";

export interface FakeSendConnector {
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
  Usage: string | null;
}

export interface FakeShellState {
  version: 1;
  sendConnectors: FakeSendConnector[];
  /** Pending certificate requests (New-ExchangeCertificate -GenerateRequest), per server. */
  certificateRequests?: { server: string; subject: string; domainNames: string[]; privateKeyExportable: boolean }[];
  /** Services enabled per "<SERVER> <thumbprint>" (Enable-ExchangeCertificate), and whether its key is exportable. */
  certificateServices?: Record<string, { services: string; exportable: boolean }>;
}

export class ScriptSyntaxError extends Error {}
export class CmdletFailure extends Error {}

// ---------------------------------------------------------------------------------------------
// Lexing PowerShell literals
// ---------------------------------------------------------------------------------------------

const SINGLE_QUOTES = new Set(["'", "\u2018", "\u2019", "\u201A", "\u201B"]);

class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly lineNumber: number,
  ) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /[ \t]/.test(this.text[this.pos] as string)) this.pos++;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  rest(): string {
    return this.text.slice(this.pos);
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  error(what: string): ScriptSyntaxError {
    return new ScriptSyntaxError(`line ${this.lineNumber}: ${what} at column ${this.pos + 1}: ${this.text.trim()}`);
  }

  expectEnd(): void {
    if (!this.atEnd()) throw this.error(`unexpected ${JSON.stringify(this.rest())}`);
  }

  take(literal: string): boolean {
    this.skipSpace();
    if (this.text.startsWith(literal, this.pos)) {
      this.pos += literal.length;
      return true;
    }
    return false;
  }

  takeRegex(re: RegExp): RegExpExecArray | null {
    this.skipSpace();
    const match = re.exec(this.text.slice(this.pos));
    if (match && match.index === 0) {
      this.pos += match[0].length;
      return match;
    }
    return null;
  }
}

/** A single-quoted string: any of the five quote characters opens and closes; two in a row are one literal quote. */
function readQuoted(cursor: Cursor): string {
  cursor.skipSpace();
  if (!SINGLE_QUOTES.has(cursor.peek() ?? "")) throw cursor.error("expected a single-quoted string");
  cursor.pos++;
  let out = "";
  for (;;) {
    const c = cursor.peek();
    if (c === undefined) throw cursor.error("unterminated string");
    cursor.pos++;
    if (SINGLE_QUOTES.has(c)) {
      const next = cursor.peek();
      if (next !== undefined && SINGLE_QUOTES.has(next)) {
        // Like PowerShell's tokenizer: the second quote character is the one kept.
        out += next;
        cursor.pos++;
        continue;
      }
      return out;
    }
    out += c;
  }
}

function readValue(cursor: Cursor): Value {
  cursor.skipSpace();
  const c = cursor.peek();
  if (c !== undefined && SINGLE_QUOTES.has(c)) {
    const first = readQuoted(cursor);
    // 'a','b': an array in PowerShell's argument mode, as @('a','b').
    if (!cursor.take(",")) return first;
    const items = [first, readQuoted(cursor)];
    while (cursor.take(",")) items.push(readQuoted(cursor));
    return items;
  }
  const tlsName = cursor.takeRegex(/^"<I>\$\(\$(\w+)\.Issuer\)<S>\$\(\$(\w+)\.Subject\)"/);
  if (tlsName) {
    if (tlsName[1] !== tlsName[2]) throw cursor.error("issuer and subject must come from the same certificate");
    return { tlsNameOf: (tlsName[1] as string).toLowerCase() };
  }
  if (cursor.take("([System.IO.File]::ReadAllBytes(")) {
    const file = readQuoted(cursor);
    if (!cursor.take("))")) throw cursor.error("expected ))");
    return { bytesOf: file };
  }
  if (cursor.take("@(")) {
    const items: string[] = [];
    if (cursor.take(")")) return items;
    for (;;) {
      items.push(readQuoted(cursor));
      if (cursor.take(",")) continue;
      if (cursor.take(")")) return items;
      throw cursor.error("expected , or ) in array");
    }
  }
  const constant = cursor.takeRegex(/^\$(true|false|null)(?![\w:])/i);
  if (constant) {
    const word = (constant[1] as string).toLowerCase();
    return word === "null" ? null : word === "true";
  }
  const variable = cursor.takeRegex(/^\$(env:)?(\w+)(?:\.(\w+))?(?![\w:.(])/i);
  if (variable) {
    const name = variable[1] ? `env:${variable[2]}` : (variable[2] as string).toLowerCase();
    return variable[3] ? { variable: name, property: variable[3] } : { variable: name };
  }
  // A bareword argument is a string in PowerShell's argument mode (-TlsAuthLevel DomainValidation).
  const bareword = cursor.takeRegex(/^(?:[A-Za-z][\w.]*|\d+)(?=\s|$)/);
  if (bareword) return bareword[0];
  throw cursor.error("expected a literal ('…', @(…), $true, $false or $null)");
}

/** Parses one complete PowerShell literal (exported for tests). */
export function parsePowerShellLiteral(text: string): Value {
  const cursor = new Cursor(text, 1);
  const value = readValue(cursor);
  cursor.expectEnd();
  return value;
}

// ---------------------------------------------------------------------------------------------
// Parsing the script
// ---------------------------------------------------------------------------------------------

type Statement =
  | { kind: "preference"; line: number }
  | { kind: "splat"; line: number; variable: string; entries: Array<[string, Value]> }
  | {
      kind: "cmdlet";
      line: number;
      assignTo: string | null;
      cmdlet: string;
      splats: string[];
      named: Array<[string, Value]>;
      /** `| Sort-Object NotAfter | Select-Object -Last 1`: the newest of the objects. */
      newest?: boolean;
    }
  | { kind: "emit"; line: number; entries: Array<[string, { literal: Value } | { property: string }]> }
  /** `$parameters.TlsCertificateName = '<I>' + $certificate.Issuer + '<S>' + $certificate.Subject` */
  | { kind: "tlsName"; line: number; variable: string; certificate: string }
  /** `<Get-… | @(Get-…; Get-…)> | ConvertTo-Json -Depth n | Set-Content -Path '…'` */
  | { kind: "export"; line: number; sources: CmdletStatement[]; path: string }
  /** `Set-Content -Path '…' -Value ("-----BEGIN CERTIFICATE-----`n" + [Convert]::ToBase64String($c.RawData, 'InsertLineBreaks') + …)` */
  | { kind: "pem"; line: number; path: string; certificate: string };

type CmdletStatement = Extract<Statement, { kind: "cmdlet" }>;

interface ParsedScript {
  statements: Statement[];
}

/** The cmdlets of the runbook's certificate steps (and the folder and password they need). */
const RUNBOOK_CMDLETS = new Set([
  "Get-ExchangeCertificate",
  "New-ExchangeCertificate",
  "Import-ExchangeCertificate",
  "Enable-ExchangeCertificate",
  "Export-ExchangeCertificate",
  "New-Item",
  "Read-Host",
]);
const CMDLET_NAMES = ["New-SendConnector", "Set-SendConnector", "Remove-SendConnector", "Get-SendConnector", ...RUNBOOK_CMDLETS];
/** Switch parameters (present means $true), per cmdlet. */
const SWITCHES: Record<string, string[]> = {
  "New-ExchangeCertificate": ["GenerateRequest", "Force"],
  "Export-ExchangeCertificate": ["BinaryEncoded"],
  "Enable-ExchangeCertificate": ["Force"],
  "New-Item": ["Force"],
  "Read-Host": ["AsSecureString"],
};
const EXPORT = /^(.+?)\s*\|\s*ConvertTo-Json\s+-Depth\s+\d+\s*\|\s*Set-Content\s+-Path\s+(.+)$/i;
const PEM =
  /^Set-Content\s+-Path\s+(.+?)\s+-Value\s+\("-----BEGIN CERTIFICATE-----`n"\s*\+\s*\[Convert\]::ToBase64String\(\$(\w+)\.RawData,\s*'InsertLineBreaks'\)\s*\+\s*"`n-----END CERTIFICATE-----"\)$/i;
const NEWEST = /\s*\|\s*Sort-Object\s+NotAfter\s*\|\s*Select-Object\s+-Last\s+1$/i;
const TLS_NAME_ASSIGNMENT = /^\$(\w+)\.TlsCertificateName\s*=\s*'<I>'\s*\+\s*\$(\w+)\.Issuer\s*\+\s*'<S>'\s*\+\s*\$(\w+)\.Subject$/;

export function parseScript(script: string): ParsedScript {
  const lines = script.split(/\r?\n/);
  const statements: Statement[] = [];
  let depth = 0; // inside try { }
  let inCatch = false;
  let sawCatch = false;
  let i = 0;

  const next = (): [string, number] | undefined => {
    while (i < lines.length) {
      const raw = lines[i] as string;
      i++;
      const trimmed = raw.trim();
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      return [trimmed, i];
    }
    return undefined;
  };

  for (let item = next(); item !== undefined; item = next()) {
    const [line, lineNumber] = item;
    const cursor = new Cursor(line, lineNumber);

    if (inCatch) {
      if (line === "}") {
        inCatch = false;
        continue;
      }
      if (line === "[Console]::Error.WriteLine($_.ToString())" || /^exit \d+$/.test(line)) continue;
      throw cursor.error("unsupported statement in catch block");
    }
    if (line === "try {") {
      if (depth > 0 || sawCatch) throw cursor.error("nested or repeated try");
      depth++;
      continue;
    }
    if (line === "}" && depth > 0) {
      depth--;
      const following = next();
      if (following?.[0] !== "catch {") {
        throw new ScriptSyntaxError(`line ${lineNumber + 1}: the try block needs a catch block`);
      }
      inCatch = true;
      sawCatch = true;
      continue;
    }
    if (cursor.takeRegex(/^\$ErrorActionPreference\s*=/i)) {
      readValue(cursor);
      cursor.expectEnd();
      statements.push({ kind: "preference", line: lineNumber });
      continue;
    }
    const splatStart = cursor.takeRegex(/^\$(\w+)\s*=\s*@\{$/);
    if (splatStart) {
      statements.push({
        kind: "splat",
        line: lineNumber,
        variable: (splatStart[1] as string).toLowerCase(),
        entries: readHashtable(next, (entryCursor) => {
          const value = readValue(entryCursor);
          entryCursor.expectEnd();
          return value;
        }),
      });
      continue;
    }
    if (cursor.take("[pscustomobject]@{")) {
      cursor.expectEnd();
      const entries = readHashtable(
        next,
        (entryCursor) => {
          const c = entryCursor.peek();
          if (c !== undefined && (SINGLE_QUOTES.has(c) || c === "$" || c === "@")) {
            const start = entryCursor.pos;
            try {
              const value = readValue(entryCursor);
              entryCursor.expectEnd();
              return { literal: value };
            } catch (err) {
              if (!(err instanceof ScriptSyntaxError)) throw err;
              entryCursor.pos = start;
            }
          }
          if (!/\$connector\.\w+/.test(entryCursor.rest())) throw entryCursor.error("unsupported result expression");
          return { property: "" };
        },
        "} | ConvertTo-Json -Depth 4 -Compress",
      ).map(([key, value]): [string, { literal: Value } | { property: string }] =>
        "property" in value ? [key, { property: key }] : [key, value],
      );
      statements.push({ kind: "emit", line: lineNumber, entries });
      continue;
    }
    const tlsName = TLS_NAME_ASSIGNMENT.exec(line);
    if (tlsName) {
      if (tlsName[2] !== tlsName[3]) throw cursor.error("issuer and subject must come from the same certificate");
      statements.push({
        kind: "tlsName",
        line: lineNumber,
        variable: (tlsName[1] as string).toLowerCase(),
        certificate: (tlsName[2] as string).toLowerCase(),
      });
      continue;
    }
    const pem = PEM.exec(line);
    if (pem) {
      statements.push({
        kind: "pem",
        line: lineNumber,
        path: literalPath(pem[1] as string, cursor),
        certificate: (pem[2] as string).toLowerCase(),
      });
      continue;
    }
    const exported = EXPORT.exec(line);
    if (exported) {
      const source = (exported[1] as string).trim();
      const inner = /^@\((.*)\)$/.exec(source);
      const parts = inner ? (inner[1] as string).split(";") : [source];
      statements.push({
        kind: "export",
        line: lineNumber,
        sources: parts.map((part) => parseCmdlet(new Cursor(part.trim(), lineNumber), lineNumber, false)),
        path: literalPath(exported[2] as string, cursor),
      });
      continue;
    }
    statements.push(parseCmdlet(cursor, lineNumber, true));
  }
  if (depth > 0 || inCatch) throw new ScriptSyntaxError("missing closing brace at end of script");
  return { statements };
}

/** A single-quoted path argument of a statement the stand-in matches as a whole. */
function literalPath(text: string, cursor: Cursor): string {
  const value = parsePowerShellLiteral(text.trim());
  if (typeof value !== "string") throw cursor.error("expected a single-quoted path");
  return value;
}

/** `[$x =] Cmdlet -Param value … [| Sort-Object NotAfter | Select-Object -Last 1] [| Out-Null]`. */
function parseCmdlet(start: Cursor, lineNumber: number, assignable: boolean): CmdletStatement {
  let text = start.text.trim().replace(/\s*\|\s*Out-Null$/i, "");
  const newest = NEWEST.test(text);
  text = text.replace(NEWEST, "");
  const cursor = new Cursor(text, lineNumber);
  const assign = assignable ? cursor.takeRegex(/^\$(\w+)\s*=\s*/) : null;
  const cmdletMatch = cursor.takeRegex(/^[A-Za-z]+-[A-Za-z]+(?=\s|$)/);
  if (!cmdletMatch) throw cursor.error("unsupported statement");
  const cmdlet = CMDLET_NAMES.find((name) => name.toLowerCase() === cmdletMatch[0].toLowerCase());
  if (!cmdlet) throw cursor.error(`The term '${cmdletMatch[0]}' is not recognized as a cmdlet by this stand-in`);
  const switches = (SWITCHES[cmdlet] ?? []).map((name) => name.toLowerCase());
  const splats: string[] = [];
  const named: Array<[string, Value]> = [];
  while (!cursor.atEnd()) {
    // The one bareword argument the generator writes; Stop is what the fake does anyway.
    if (cursor.takeRegex(/^-ErrorAction\s+Stop(?=\s|$)/i)) continue;
    const splatRef = cursor.takeRegex(/^@(\w+)(?=\s|$)/);
    if (splatRef) {
      splats.push((splatRef[1] as string).toLowerCase());
      continue;
    }
    const colon = cursor.takeRegex(/^-(\w+):/);
    if (colon) {
      named.push([colon[1] as string, readValue(cursor)]);
      continue;
    }
    const param = cursor.takeRegex(/^-(\w+)(?=\s|$)/);
    if (param) {
      const name = param[1] as string;
      named.push([name, switches.includes(name.toLowerCase()) ? true : readValue(cursor)]);
      continue;
    }
    throw cursor.error("unexpected token");
  }
  return {
    kind: "cmdlet",
    line: lineNumber,
    assignTo: assign ? (assign[1] as string).toLowerCase() : null,
    cmdlet,
    splats,
    named,
    ...(newest ? { newest: true } : {}),
  };
}

function readHashtable<T>(next: () => [string, number] | undefined, readEntry: (cursor: Cursor) => T, closing = "}"): Array<[string, T]> {
  const entries: Array<[string, T]> = [];
  for (;;) {
    const item = next();
    if (!item) throw new ScriptSyntaxError("unterminated hashtable at end of script");
    const [line, lineNumber] = item;
    if (line === closing) return entries;
    const cursor = new Cursor(line, lineNumber);
    const key = cursor.takeRegex(/^(\w+)\s*=\s*/);
    if (!key) throw cursor.error("expected Key = value");
    entries.push([key[1] as string, readEntry(cursor)]);
  }
}

// ---------------------------------------------------------------------------------------------
// Cmdlets
// ---------------------------------------------------------------------------------------------

type ParamKind = "string" | "nullableString" | "stringArray" | "boolean" | "tlsAuthLevel" | "usage" | "bytes" | "secure" | "int";

const SETTABLE: Record<string, ParamKind> = {
  AddressSpaces: "stringArray",
  SmartHosts: "stringArray",
  SourceTransportServers: "stringArray",
  Fqdn: "nullableString",
  RequireTLS: "boolean",
  TlsAuthLevel: "tlsAuthLevel",
  TlsDomain: "nullableString",
  TlsCertificateName: "nullableString",
  CloudServicesMailEnabled: "boolean",
  DNSRoutingEnabled: "boolean",
  Enabled: "boolean",
  Comment: "nullableString",
};

const CMDLET_PARAMETERS: Record<string, { params: Record<string, ParamKind>; mandatory: string[] }> = {
  "New-SendConnector": {
    params: { Name: "string", Usage: "usage", Confirm: "boolean", ...SETTABLE },
    mandatory: ["Name", "AddressSpaces"],
  },
  "Set-SendConnector": {
    params: { Identity: "string", Name: "string", Confirm: "boolean", ...SETTABLE },
    mandatory: ["Identity"],
  },
  "Remove-SendConnector": { params: { Identity: "string", Confirm: "boolean" }, mandatory: ["Identity"] },
  "Get-SendConnector": { params: { Identity: "string" }, mandatory: [] },
  "Get-ExchangeCertificate": { params: { Thumbprint: "string", Server: "string", DomainName: "stringArray" }, mandatory: [] },
  "New-ExchangeCertificate": {
    params: {
      Server: "string",
      GenerateRequest: "boolean",
      RequestFile: "string",
      SubjectName: "string",
      DomainName: "stringArray",
      FriendlyName: "string",
      KeySize: "int",
      PrivateKeyExportable: "boolean",
      Force: "boolean",
    },
    mandatory: [],
  },
  "Import-ExchangeCertificate": { params: { Server: "string", FileData: "bytes", Password: "secure" }, mandatory: ["FileData"] },
  "Enable-ExchangeCertificate": {
    params: { Server: "string", Thumbprint: "string", Services: "string", Force: "boolean" },
    mandatory: ["Thumbprint", "Services"],
  },
  "Export-ExchangeCertificate": {
    params: { Server: "string", Thumbprint: "string", FileName: "string", BinaryEncoded: "boolean", Password: "secure" },
    mandatory: ["Thumbprint"],
  },
  "New-Item": { params: { ItemType: "string", Force: "boolean", Path: "string" }, mandatory: ["Path"] },
  "Read-Host": { params: { AsSecureString: "boolean", Prompt: "string" }, mandatory: [] },
};

const ENUMS: Record<string, string[]> = {
  tlsAuthLevel: ["EncryptionOnly", "CertificateValidation", "DomainValidation"],
  usage: ["Custom", "Internal", "Internet", "Partner"],
};

function bind(cmdlet: string, given: Array<[string, Value]>): Map<string, Value> {
  const definition = CMDLET_PARAMETERS[cmdlet] as { params: Record<string, ParamKind>; mandatory: string[] };
  const bound = new Map<string, Value>();
  for (const [rawName, value] of given) {
    const name = Object.keys(definition.params).find((p) => p.toLowerCase() === rawName.toLowerCase());
    if (!name) throw new CmdletFailure(`A parameter cannot be found that matches parameter name '${rawName}'.`);
    if (bound.has(name)) {
      throw new CmdletFailure(`Cannot bind parameter because parameter '${name}' is specified more than once.`);
    }
    bound.set(name, convert(name, definition.params[name] as ParamKind, value));
  }
  const missing = definition.mandatory.filter((name) => !bound.has(name));
  if (missing.length > 0) {
    throw new CmdletFailure(`Cannot process command because of one or more missing mandatory parameters: ${missing.join(" ")}.`);
  }
  return bound;
}

function convert(name: string, kind: ParamKind, value: Value): Value {
  const fail = (type: string): never => {
    throw new CmdletFailure(
      `Cannot bind parameter '${name}'. Cannot convert value "${Array.isArray(value) ? value.join(" ") : String(value)}" to type "${type}".`,
    );
  };
  switch (kind) {
    case "string":
      return typeof value === "string" && value !== "" ? value : fail("System.String");
    case "nullableString":
      return value === null || typeof value === "string" ? (value === "" ? null : value) : fail("System.String");
    case "stringArray":
      if (value === null) return [];
      if (typeof value === "string") return [value];
      return Array.isArray(value) ? value : fail("Microsoft.Exchange.Data.MultiValuedProperty");
    case "boolean":
      return typeof value === "boolean" ? value : fail("System.Boolean");
    case "int":
      return typeof value === "string" && /^\d+$/.test(value) ? value : fail("System.Int32");
    case "bytes":
      return typeof value === "object" && value !== null && "bytesOf" in value ? value : fail("System.Byte[]");
    case "secure":
      return typeof value === "object" && value !== null && "secureString" in value ? value : fail("System.Security.SecureString");
    case "tlsAuthLevel":
    case "usage": {
      if (value === null && kind === "tlsAuthLevel") return null;
      const allowed = ENUMS[kind] as string[];
      const match = typeof value === "string" ? allowed.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
      return match ?? fail(`${kind === "usage" ? "UsageType" : "TlsAuthLevel"}". Valid values are "${allowed.join(", ")}`);
    }
  }
}

function normalizeAddressSpace(value: string): string {
  let result = value.includes(":") ? value : `SMTP:${value}`;
  if (!/;\d+$/.test(result)) result = `${result};1`;
  return result;
}

class Organization {
  constructor(readonly state: FakeShellState) {}

  find(identity: string): FakeSendConnector {
    const wanted = identity.toLowerCase();
    const found = this.state.sendConnectors.find((c) => c.Name.toLowerCase() === wanted || c.Guid.toLowerCase() === wanted);
    if (!found) {
      throw new CmdletFailure(
        `The operation couldn't be performed because object '${identity}' couldn't be found on '${FAKE_DOMAIN_CONTROLLER}'.`,
      );
    }
    return found;
  }

  assertUniqueName(name: string, self: FakeSendConnector | null): void {
    if (this.state.sendConnectors.some((c) => c !== self && c.Name.toLowerCase() === name.toLowerCase())) {
      throw new CmdletFailure(`A Send connector named '${name}' already exists in this organization. Choose a different name.`);
    }
  }

  run(cmdlet: string, params: Map<string, Value>): FakeSendConnector | null {
    switch (cmdlet) {
      case "Get-SendConnector":
        return this.find(params.get("Identity") as string);
      case "Remove-SendConnector": {
        const connector = this.find(params.get("Identity") as string);
        this.state.sendConnectors = this.state.sendConnectors.filter((c) => c !== connector);
        return null;
      }
      case "New-SendConnector": {
        const name = params.get("Name") as string;
        this.assertUniqueName(name, null);
        const connector: FakeSendConnector = {
          Identity: name,
          Name: name,
          Guid: randomUUID(),
          Enabled: true,
          AddressSpaces: [],
          SmartHosts: [],
          SourceTransportServers: [],
          Fqdn: null,
          RequireTLS: false,
          TlsAuthLevel: null,
          TlsDomain: null,
          TlsCertificateName: null,
          CloudServicesMailEnabled: false,
          DNSRoutingEnabled: true,
          Comment: null,
          Usage: (params.get("Usage") as string | undefined) ?? null,
        };
        applySettings(connector, params);
        validate(connector);
        this.state.sendConnectors.push(connector);
        return connector;
      }
      case "Set-SendConnector": {
        const existing = this.find(params.get("Identity") as string);
        const updated: FakeSendConnector = structuredClone(existing);
        const newName = params.get("Name") as string | undefined;
        if (newName !== undefined) {
          this.assertUniqueName(newName, existing);
          updated.Name = newName;
          updated.Identity = newName;
        }
        applySettings(updated, params);
        validate(updated);
        Object.assign(existing, updated);
        return null;
      }
      default:
        throw new CmdletFailure(`The term '${cmdlet}' is not recognized.`);
    }
  }
}

function applySettings(connector: FakeSendConnector, params: Map<string, Value>): void {
  const target = connector as unknown as Record<string, Value>;
  for (const name of Object.keys(SETTABLE)) {
    if (params.has(name)) target[name] = params.get(name) as Value;
  }
  connector.AddressSpaces = connector.AddressSpaces.map(normalizeAddressSpace);
}

// Checks Exchange documents for New-/Set-SendConnector.
function validate(connector: FakeSendConnector): void {
  if (connector.AddressSpaces.length === 0) {
    throw new CmdletFailure("The AddressSpaces parameter can't be empty.");
  }
  if (!connector.DNSRoutingEnabled && connector.SmartHosts.length === 0) {
    throw new CmdletFailure("The SmartHosts parameter is required when DNSRoutingEnabled is $false.");
  }
  if (connector.TlsAuthLevel === "DomainValidation" && !connector.DNSRoutingEnabled && connector.TlsDomain === null) {
    throw new CmdletFailure("The TlsDomain parameter is required when TlsAuthLevel is DomainValidation and DNSRoutingEnabled is $false.");
  }
}

// ---------------------------------------------------------------------------------------------
// Running a script
// ---------------------------------------------------------------------------------------------

export interface ScriptRun {
  stdout: string[];
  /** Set when a cmdlet failed: the message the script's catch block prints. */
  error: string | null;
}

/** Executes a parsed script against the state (mutated in place); `persist` is called after each change. */
export function runScript(script: ParsedScript, state: FakeShellState, persist: () => void = () => {}): ScriptRun {
  const organization = new Organization(state);
  const splats = new Map<string, Array<[string, Value]>>();
  const variables = new Map<string, FakeSendConnector | null>();
  const certificates = new Map<string, StoredCertificate>();
  /** Other variables of the runbook: secure strings (Read-Host), certificates of the new cmdlets. */
  const values = new Map<string, unknown>();
  const stdout: string[] = [];
  /** A reference's value now; $env:NAME from the environment, an object's property by name. */
  const resolve = (value: Value): Value => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    if ("tlsNameOf" in value) {
      const certificate = certificates.get(value.tlsNameOf);
      if (!certificate) throw new CmdletFailure(`Cannot bind parameter 'TlsCertificateName': $${value.tlsNameOf} holds no certificate.`);
      return `<I>${certificate.Issuer}<S>${certificate.Subject}`;
    }
    if ("bytesOf" in value || "secureString" in value) return value;
    if (value.variable.startsWith("env:")) {
      const found = process.env[value.variable.slice(4)];
      if (value.property !== undefined || found === undefined)
        throw new CmdletFailure(`The variable '$${value.variable}' cannot be retrieved because it has not been set.`);
      return found;
    }
    if (value.property === undefined) {
      if (!values.has(value.variable))
        throw new CmdletFailure(`The variable '$${value.variable}' cannot be retrieved because it has not been set.`);
      return values.get(value.variable) as Value;
    }
    const holder = (certificates.get(value.variable) ?? variables.get(value.variable)) as Record<string, unknown> | undefined | null;
    if (!holder) throw new CmdletFailure(`Cannot bind argument: $${value.variable}.${value.property} is $null.`);
    const property = holder[value.property];
    return typeof property === "string" || typeof property === "boolean" ? property : null;
  };
  const runCmdlet = (statement: CmdletStatement): unknown => {
    const params = bind(
      statement.cmdlet,
      statement.named.map(([name, value]): [string, Value] => [name, resolve(value)]),
    );
    const result = certificateCmdlet(statement.cmdlet, params, state, statement.newest === true);
    persist();
    return result;
  };
  try {
    for (const statement of script.statements) {
      switch (statement.kind) {
        case "preference":
          break;
        case "splat":
          splats.set(statement.variable, statement.entries);
          break;
        case "cmdlet": {
          const given: Array<[string, Value]> = [];
          for (const name of statement.splats) {
            const entries = splats.get(name);
            if (!entries) throw new CmdletFailure(`The variable '$${name}' cannot be retrieved because it has not been set.`);
            given.push(...entries);
          }
          if (RUNBOOK_CMDLETS.has(statement.cmdlet)) {
            const result = runCmdlet(statement);
            if (statement.assignTo === null) break;
            // An assignment replaces whatever the variable held (a $null result too).
            certificates.delete(statement.assignTo);
            values.delete(statement.assignTo);
            if (isCertificate(result)) certificates.set(statement.assignTo, result);
            else values.set(statement.assignTo, result);
            break;
          }
          given.push(...statement.named.map(([name, value]): [string, Value] => [name, resolve(value)]));
          const params = bind(statement.cmdlet, given);
          if (statement.cmdlet === "Get-SendConnector" && !params.has("Identity"))
            throw new CmdletFailure("Get-SendConnector without -Identity is supported only in an export (| ConvertTo-Json | Set-Content).");
          const result = organization.run(statement.cmdlet, params);
          if (statement.cmdlet !== "Get-SendConnector") persist();
          if (statement.assignTo) variables.set(statement.assignTo, result ? structuredClone(result) : null);
          break;
        }
        case "tlsName": {
          const certificate = certificates.get(statement.certificate);
          const entries = splats.get(statement.variable);
          if (!certificate || !entries) throw new CmdletFailure("You cannot call a method on a null-valued expression.");
          const value = `<I>${certificate.Issuer}<S>${certificate.Subject}`;
          splats.set(statement.variable, [
            ...entries.filter(([key]) => key.toLowerCase() !== "tlscertificatename"),
            ["TlsCertificateName", value],
          ]);
          break;
        }
        case "export": {
          const records = statement.sources.flatMap((source) => {
            if (source.cmdlet === "Get-SendConnector" && source.named.length === 0) return structuredClone(state.sendConnectors);
            const result = runCmdlet(source);
            return (Array.isArray(result) ? result : result === null ? [] : [result]).map(exportRecord);
          });
          writeFile(statement.path, `${JSON.stringify(records, null, 2)}\n`);
          break;
        }
        case "pem": {
          const certificate = certificates.get(statement.certificate);
          if (!certificate)
            throw new CmdletFailure(`You cannot call a method on a null-valued expression ($${statement.certificate}.RawData).`);
          writeFile(statement.path, certificate.pem);
          break;
        }
        case "emit": {
          const connector = variables.get("connector");
          const out: Record<string, unknown> = {};
          for (const [key, source] of statement.entries) {
            if ("literal" in source) {
              out[key] = source.literal;
              continue;
            }
            if (!connector) throw new CmdletFailure("You cannot call a method on a null-valued expression.");
            const value = (connector as unknown as Record<string, unknown>)[source.property];
            // [string]$null is "" in PowerShell; [string[]]@() stays [].
            out[key] = value === null || value === undefined ? "" : value;
          }
          stdout.push(JSON.stringify(out));
          break;
        }
      }
    }
  } catch (err) {
    if (err instanceof CmdletFailure) return { stdout, error: err.message };
    throw err;
  }
  return { stdout, error: null };
}

/** A certificate as Get-ExchangeCertificate returns it (the properties the runbook and the exports use). */
interface StoredCertificate {
  Thumbprint: string;
  Subject: string;
  Issuer: string;
  CertificateDomains: string[];
  NotBefore: string;
  NotAfter: string;
  Services: string;
  /** Which server's store it was read from. */
  server: string | null;
  pem: string;
}

function isCertificate(value: unknown): value is StoredCertificate {
  return typeof value === "object" && value !== null && "Thumbprint" in value && "pem" in value;
}

/** What ConvertTo-Json shows of a certificate in the export (the audit reads these properties). */
function exportRecord(value: unknown): unknown {
  if (!isCertificate(value)) return value;
  const { server: _server, pem: _pem, ...record } = value;
  return record;
}

function certificateFolder(): string {
  return process.env[CERTIFICATES_ENV] ?? path.join(__dirname, "..", "..", "examples", "certs");
}

/**
 * The certificates installed on a server: the store folder's own .pem files are on every server (the
 * certificates the tests and the demo install), <folder>/<SERVER>/*.pem on that server only.
 */
function serverCertificates(server: string | null, state: FakeShellState): StoredCertificate[] {
  const folder = certificateFolder();
  const read = (dir: string, on: string | null): StoredCertificate[] =>
    (fs.existsSync(dir) ? fs.readdirSync(dir).filter((file) => file.endsWith(".pem")) : []).map((file) => {
      const pem = fs.readFileSync(path.join(dir, file), "utf8");
      const facts = parseCertificatePem(pem, file);
      const enabled = state.certificateServices?.[`${(on ?? "").toUpperCase()} ${facts.thumbprint}`];
      return {
        Thumbprint: facts.thumbprint,
        Subject: facts.subject,
        Issuer: facts.issuer,
        CertificateDomains: [...facts.dnsNames],
        NotBefore: facts.notBefore.toISOString(),
        NotAfter: facts.notAfter.toISOString(),
        Services: enabled?.services ?? (on === null ? "SMTP" : "None"),
        server: on,
        pem,
      };
    });
  return [...read(folder, null), ...(server === null ? [] : read(path.join(folder, server.toUpperCase()), server))];
}

/** A Windows path of the runbook on the stand-in's disks (see FILES_ENV). */
function localPath(windowsPath: string): string {
  const unc = /^\\\\([^\\]+)\\(.*)$/.exec(windowsPath);
  if (unc) {
    const root = process.env[FILES_ENV];
    if (!root) throw new CmdletFailure(`Stand-in: set ${FILES_ENV} to the folder that holds the servers' disks, to reach ${windowsPath}.`);
    return path.join(root, (unc[1] as string).toUpperCase(), ...(unc[2] as string).split("\\"));
  }
  if (/^[A-Za-z]:/.test(windowsPath))
    throw new CmdletFailure(
      `Stand-in: ${windowsPath} is a local drive of a machine it does not have; use a UNC path (\\\\server\\C$\\…) or a relative one.`,
    );
  return path.resolve(...windowsPath.split("\\"));
}

function writeFile(windowsPath: string, text: string): void {
  const file = localPath(windowsPath);
  if (!fs.existsSync(path.dirname(file))) throw new CmdletFailure(`Could not find a part of the path '${windowsPath}'.`);
  fs.writeFileSync(file, text);
}

function readFile(windowsPath: string): string {
  const file = localPath(windowsPath);
  if (!fs.existsSync(file)) throw new CmdletFailure(`Could not find file '${windowsPath}'.`);
  return fs.readFileSync(file, "utf8");
}

/** The stand-in's PFX: the certificate and the id of the secure string that protects it (no key exists here). */
interface StandInPfx {
  standIn: "fake-exchange-shell PFX";
  pem: string;
  password: string;
  exportable: boolean;
}

/** The certificate cmdlets of the runbook, New-Item and Read-Host, on the stand-in's state and disks. */
function certificateCmdlet(cmdlet: string, params: Map<string, Value>, state: FakeShellState, newest: boolean): unknown {
  // Without -Server a cmdlet acts on the server the shell runs on.
  const server = (params.get("Server") as string | undefined) ?? process.env[LOCAL_SERVER_ENV] ?? null;
  const key = (s: string | null, thumbprint: string) => `${(s ?? "").toUpperCase()} ${thumbprint}`;
  const find = (thumbprint: string): StoredCertificate => {
    const wanted = thumbprint.replace(/\s/g, "").toUpperCase();
    const found = serverCertificates(server, state).find((c) => c.Thumbprint === wanted);
    if (found) return found;
    const folder = certificateFolder();
    const empty = !fs.existsSync(folder) || !fs.readdirSync(folder).some((file) => file.endsWith(".pem"));
    // The stand-in's "certificate store" is a folder: say which one, so a user of the installed package knows what to set.
    throw new CmdletFailure(
      `The certificate with thumbprint ${wanted} was not found. (Stand-in: its certificate store is the folder ${folder}${server ? ` and ${path.join(folder, server.toUpperCase())}` : ""}${empty && !server ? ", which holds no .pem files" : ""}; set ${CERTIFICATES_ENV} to the folder of the public PEMs installed on this stand-in server.)`,
    );
  };
  const install = (pem: string, exportable: boolean): StoredCertificate => {
    const facts = parseCertificatePem(pem, "certificate");
    const dir = path.join(certificateFolder(), (server ?? "localhost").toUpperCase());
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${facts.thumbprint}.pem`), pem);
    state.certificateServices = { ...state.certificateServices, [key(server, facts.thumbprint)]: { services: "None", exportable } };
    return find(facts.thumbprint);
  };
  switch (cmdlet) {
    case "New-Item": {
      if (((params.get("ItemType") as string | undefined) ?? "").toLowerCase() !== "directory")
        throw new CmdletFailure("Stand-in: New-Item creates directories only (-ItemType Directory).");
      fs.mkdirSync(localPath(params.get("Path") as string), { recursive: true });
      return null;
    }
    case "Read-Host": {
      if (params.get("AsSecureString") !== true)
        throw new CmdletFailure("Stand-in: Read-Host reads secure strings only (-AsSecureString).");
      // Nobody types here: each secure string is an opaque value of its own, which export and import must share.
      return { secureString: randomUUID() };
    }
    case "Get-ExchangeCertificate": {
      const thumbprint = params.get("Thumbprint") as string | undefined;
      if (thumbprint !== undefined) return find(thumbprint);
      const domains = ((params.get("DomainName") as string[] | undefined) ?? []).map((d) => d.toLowerCase());
      const found = serverCertificates(server, state).filter(
        (c) => domains.length === 0 || domains.some((d) => c.CertificateDomains.map((x) => x.toLowerCase()).includes(d)),
      );
      if (!newest) return found;
      return [...found].sort((a, b) => a.NotAfter.localeCompare(b.NotAfter)).pop() ?? null;
    }
    case "New-ExchangeCertificate": {
      if (params.get("GenerateRequest") !== true)
        throw new CmdletFailure("Stand-in: New-ExchangeCertificate makes certificate requests only (-GenerateRequest).");
      const domainNames = (params.get("DomainName") as string[] | undefined) ?? [];
      const subject = (params.get("SubjectName") as string | undefined) ?? "";
      if (domainNames.length === 0 && subject === "") throw new CmdletFailure("The SubjectName or DomainName parameter is required.");
      const request = {
        server: (server ?? "localhost").toUpperCase(),
        subject,
        domainNames,
        privateKeyExportable: params.get("PrivateKeyExportable") === true,
      };
      state.certificateRequests = [...(state.certificateRequests ?? []), request];
      const text = `${JSON.stringify({ standIn: "fake-exchange-shell certificate request", ...request, keySize: Number(params.get("KeySize") ?? 2048) }, null, 2)}\n`;
      const file = params.get("RequestFile") as string | undefined;
      if (file !== undefined) writeFile(file, text);
      return text;
    }
    case "Import-ExchangeCertificate": {
      const bytes = params.get("FileData") as unknown as { bytesOf: string };
      const text = readFile(bytes.bytesOf);
      const password = params.get("Password") as unknown as { secureString: string } | undefined;
      if (text.includes('"fake-exchange-shell PFX"')) {
        const pfx = JSON.parse(text) as StandInPfx;
        if (password?.secureString !== pfx.password) throw new CmdletFailure("The PKCS12 file has an invalid password.");
        return install(pfx.pem, pfx.exportable);
      }
      // A CA's answer completes a pending request of this server (the key is there), by the names requested.
      const facts = parseCertificatePem(text, bytes.bytesOf);
      const on = (server ?? "localhost").toUpperCase();
      const names = (list: readonly string[]) =>
        [...list]
          .map((n) => n.toLowerCase())
          .sort()
          .join(",");
      const pending = (state.certificateRequests ?? []).find((r) => r.server === on && names(r.domainNames) === names(facts.dnsNames));
      if (!pending)
        throw new CmdletFailure(
          `The certificate for ${facts.dnsNames.join(", ") || facts.subject} doesn't match a pending certificate request on ${on}, so its private key can't be found.`,
        );
      state.certificateRequests = (state.certificateRequests ?? []).filter((r) => r !== pending);
      return install(text, pending.privateKeyExportable);
    }
    case "Enable-ExchangeCertificate": {
      const certificate = find(params.get("Thumbprint") as string);
      const services = params.get("Services") as string;
      if (!/^(None|IMAP|POP|UM|IIS|SMTP|Federation|UMCallRouter)(,\s*(IMAP|POP|UM|IIS|SMTP|Federation|UMCallRouter))*$/i.test(services))
        throw new CmdletFailure(
          `Cannot bind parameter 'Services'. Cannot convert value "${services}" to type "Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices".`,
        );
      const previous = state.certificateServices?.[key(server, certificate.Thumbprint)];
      state.certificateServices = {
        ...state.certificateServices,
        [key(server, certificate.Thumbprint)]: { services: services.toUpperCase(), exportable: previous?.exportable ?? false },
      };
      return null;
    }
    case "Export-ExchangeCertificate": {
      const certificate = find(params.get("Thumbprint") as string);
      const password = params.get("Password") as unknown as { secureString: string } | undefined;
      const file = params.get("FileName") as string | undefined;
      if (password === undefined || params.get("BinaryEncoded") !== true)
        throw new CmdletFailure("Stand-in: Export-ExchangeCertificate exports a certificate with its key (-BinaryEncoded -Password) only.");
      if (!state.certificateServices?.[key(server, certificate.Thumbprint)]?.exportable)
        throw new CmdletFailure(`The private key of certificate ${certificate.Thumbprint} isn't exportable.`);
      const pfx: StandInPfx = {
        standIn: "fake-exchange-shell PFX",
        pem: certificate.pem,
        password: password.secureString,
        exportable: true,
      };
      if (file !== undefined) writeFile(file, `${JSON.stringify(pfx)}\n`);
      return null;
    }
    default:
      throw new CmdletFailure(`The term '${cmdlet}' is not recognized.`);
  }
}

function loadState(file: string): FakeShellState {
  if (!fs.existsSync(file)) return { version: 1, sendConnectors: [] };
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as FakeShellState;
  if (json?.version !== 1 || !Array.isArray(json.sendConnectors)) {
    throw new Error(`${file} isn't a fake-exchange-shell state file.`);
  }
  return json;
}

function saveState(file: string, state: FakeShellState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(temp, file);
}

/**
 * Several shells run at once (Pulumi creates connectors in parallel), and each one reads, changes
 * and writes the whole state file: hold an exclusive lock file around that, as the directory
 * service serializes writes for the real shell. A lock older than a minute is a crashed holder's.
 */
function withStateLock<T>(stateFile: string, work: () => T): T {
  const lock = `${stateFile}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 60_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, "wx"));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 60_000) fs.rmSync(lock, { force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the state lock ${lock}`);
      Atomics.wait(pause, 0, 0, 20);
    }
  }
  try {
    return work();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function main(): void {
  if (process.argv.includes("--help")) {
    process.stdout.write(
      `fake-exchange-shell: a stand-in for on-premises Exchange Management Shell, not Microsoft's product.\nReads a generated Send connector script on stdin; state in $${STATE_ENV}.\n`,
    );
    return;
  }
  const stateFile = process.env[STATE_ENV];
  if (!stateFile) {
    process.stderr.write(`fake-exchange-shell: set ${STATE_ENV} to the JSON state file path.\n`);
    process.exitCode = 2;
    return;
  }
  const chunks: Buffer[] = [];
  process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk));
  process.stdin.on("end", () => {
    try {
      const script = parseScript(Buffer.concat(chunks).toString("utf8"));
      const result = withStateLock(stateFile, () => {
        const state = loadState(stateFile);
        return runScript(script, state, () => saveState(stateFile, state));
      });
      for (const line of result.stdout) process.stdout.write(`${line}\n`);
      if (result.error !== null) {
        process.stderr.write(`${result.error}\n`);
        process.exitCode = 1;
      }
    } catch (err) {
      const prefix = err instanceof ScriptSyntaxError ? "fake-exchange-shell: syntax error: " : "fake-exchange-shell: ";
      process.stderr.write(`${prefix}${(err as Error).message}\n`);
      process.exitCode = 2;
    }
  });
}

if (require.main === module) main();
