import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, type Stats, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { decodeExportBytes, exportRecords, parseExchangeJson } from "../../policy/src/sources/exchange";
import { looksLikeCliXml, parseCliXml } from "./clixml";

/**
 * Reading one export file: bounded, by content. The limits are stated in docs/exports.md; a file
 * beyond one is named with the limit, never read in part.
 */
export const LIMITS = {
  /** Bytes per file. The largest real exports (thousands of connectors) are a few MiB. */
  maxFileBytes: 64 * 1024 * 1024,
  /** Nesting of JSON values or XML elements. ConvertTo-Json stops at 100; Export-Clixml -Depth 5 needs about 20. */
  maxNesting: 100,
  /** Folder levels below a path given on the command line. */
  maxFolderDepth: 8,
} as const;

/** The file-system calls the reader makes; tests inject failures that root cannot provoke (EACCES). */
export interface ExportFs {
  stat(path: string): Stats;
  lstat(path: string): Stats;
  realpath(path: string): string;
  readdir(path: string): string[];
  /** At most `maxBytes + 1` bytes of a regular file; throws if it is not one when opened. */
  readFile(path: string, maxBytes: number): Buffer;
}

export const nodeFs: ExportFs = {
  stat: (path) => statSync(path),
  lstat: (path) => lstatSync(path),
  realpath: (path) => realpathSync.native(path),
  readdir: (path) => readdirSync(path),
  readFile: (path, maxBytes) => {
    // O_NONBLOCK: opening a FIFO that replaced the file after stat must not wait for a writer.
    const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
      // Sized from fstat (+1 byte, to see a file that grew or is over the limit), not a fixed
      // zero-filled chunk: zeroing 1 MiB per file was most of a small audit's time.
      let buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1);
      let total = 0;
      for (;;) {
        if (total === buffer.length) {
          if (total > maxBytes) break;
          const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
          buffer.copy(grown, 0, 0, total);
          buffer = grown;
        }
        const n = readSync(fd, buffer, total, buffer.length - total, null);
        if (n === 0) break;
        total += n;
      }
      return buffer.subarray(0, total);
    } finally {
      closeSync(fd);
    }
  },
};

/** What kind of file system entry this is, in words, for "Not read" (FIFO, device, socket). */
export function specialKind(stat: Stats): string {
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

export type ExportKind = "acceptedDomains" | "inboundConnectors" | "sendConnectors" | "certificates";

export const KIND_CMDLET: Readonly<Record<ExportKind, string>> = {
  acceptedDomains: "Get-AcceptedDomain",
  inboundConnectors: "Get-InboundConnector",
  sendConnectors: "Get-SendConnector",
  certificates: "Get-ExchangeCertificate",
};

/** The file names each kind is usually saved under: AcceptedDomain.json, Get-SendConnector.xml, sendconnectors.json... */
const NAME_KINDS: readonly [RegExp, ExportKind][] = [
  [/^(get-?)?accepted-?domains?$/, "acceptedDomains"],
  [/^(get-?)?inbound-?connectors?$/, "inboundConnectors"],
  [/^(get-?)?send-?connectors?$/, "sendConnectors"],
  [/^(get-?)?(exchange-?)?certificates?$/, "certificates"],
];

export function kindFromName(file: string): ExportKind | undefined {
  const stem = basename(file, extname(file)).toLowerCase().replace(/_/g, "-");
  return NAME_KINDS.find(([pattern]) => pattern.test(stem))?.[1];
}

export type ReadFile =
  | {
      readonly type: "records";
      readonly kind: ExportKind;
      /** The JSON value (array, object, REST body) or, for CliXml, the array of converted objects. */
      readonly value: unknown;
      readonly format: "json" | "clixml";
      /** Problems of the format layer (CliXml), already naming paths in the file. */
      readonly problems: readonly { path: string; message: string }[];
    }
  | { readonly type: "scuba"; readonly value: Record<string, unknown> }
  | { readonly type: "stack"; readonly value: Record<string, unknown> }
  | { readonly type: "notRead"; readonly reason: string; readonly problem: string };

function notRead(reason: string, problem: string): ReadFile {
  return { type: "notRead", reason, problem };
}

/** A record's property names, lower-cased once (Exchange's property names are case-insensitive). */
function keysOf(record: unknown): ReadonlySet<string> {
  if (record === null || typeof record !== "object" || Array.isArray(record)) return new Set();
  return new Set(Object.keys(record).map((key) => key.toLowerCase()));
}

/** The cmdlet a record came from, by the properties only that cmdlet writes. */
function kindOfRecord(record: unknown): ExportKind | undefined {
  const keys = keysOf(record);
  const has = (name: string) => keys.has(name);
  if (
    has("rawdata") ||
    has("certificatedomains") ||
    (has("thumbprint") && !has("connectortype")) ||
    (has("subject") && has("issuer") && has("notafter"))
  )
    return "certificates";
  if (has("connectortype") || has("senderipaddresses") || has("tlssendercertificatename")) return "inboundConnectors";
  if (has("addressspaces") || has("smarthosts") || has("dnsroutingenabled")) return "sendConnectors";
  if (has("domainname") && (has("domaintype") || has("initialdomain"))) return "acceptedDomains";
  return undefined;
}

function kindOfType(typeNames: readonly string[]): ExportKind | undefined {
  const first = typeNames[0] ?? "";
  if (/\.AcceptedDomain$/.test(first)) return "acceptedDomains";
  if (/InboundConnector$/.test(first)) return "inboundConnectors";
  if (/SendConnector(Config)?$/.test(first)) return "sendConnectors";
  if (typeNames.some((t) => /\.ExchangeCertificate$|\.X509Certificate2$/.test(t))) return "certificates";
  return undefined;
}

const RECOGNIZED = "Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output";

/** The kind all records share; a file mixing cmdlets, or holding something else, is named as such. */
function kindOfRecords(
  records: readonly unknown[],
  typeNames: readonly (readonly string[])[] | undefined,
  file: string,
): ExportKind | { reason: string; detail: string } {
  const kinds = new Set<ExportKind>();
  const strangers: string[] = [];
  const byName = kindFromName(file);
  records.forEach((record, i) => {
    const types = typeNames?.[i] ?? [];
    // Content first; an object the content does not place is read as what its file name says, so
    // the reader names the fields it lacks instead of the file being refused whole.
    const objectByName =
      byName !== undefined && types.length === 0 && record !== null && typeof record === "object" && !Array.isArray(record);
    const kind = kindOfType(types) ?? kindOfRecord(record) ?? (objectByName ? byName : undefined);
    if (kind) kinds.add(kind);
    // A value that is not an object is left to the reader, which names it; it does not decide the kind.
    else if (types.length > 0 || (record !== null && typeof record === "object")) strangers.push(types[0] ?? `record [${i}]`);
  });
  if (kinds.size === 0 && strangers.length === 0 && records.length > 0) strangers.push("no objects");
  if (records.length === 0) {
    if (byName) return byName;
    return {
      reason: "holds no records",
      detail: `holds no records, and its name does not say which cmdlet wrote it. Expected ${RECOGNIZED}.`,
    };
  }
  if (strangers.length > 0) {
    const what = [...new Set(strangers)].slice(0, 3).join(", ");
    return {
      reason: `not ${RECOGNIZED}`,
      detail: `holds ${what}, which is not ${RECOGNIZED}; the audit does not read it. Remove it from the export folder or pass only the folders to audit.`,
    };
  }
  if (kinds.size > 1) {
    const list = [...kinds].map((k) => KIND_CMDLET[k]).join(" and ");
    return { reason: "mixes cmdlets", detail: `mixes ${list} output; save each cmdlet's output in its own file.` };
  }
  return [...kinds][0] as ExportKind;
}

/** Whether the text has more than `limit` opening brackets, the least a deeper nesting needs (found natively, not char by char). */
function moreBracketsThan(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ["{", "["]) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) if (++count > limit) return true;
  }
  return false;
}

/** Text nesting depth of JSON, counted without parsing (strings skipped), so a deep file is refused before it is built. */
export function jsonNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function looksLikeCsv(file: string, text: string): boolean {
  if (extname(file).toLowerCase() === ".csv") return true;
  const first = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  return /^#TYPE /.test(first) || /^"[^"]+"(,"[^"]*")+$/.test(first.trim());
}

function csvAdvice(file: string): string {
  const kind = kindFromName(file);
  const cmdlet = kind ? KIND_CMDLET[kind] : "Get-InboundConnector";
  const noun = cmdlet.slice(4);
  return `is CSV (Export-Csv). CSV flattens multi-valued properties (SenderIPAddresses, SmartHosts, AddressSpaces become one string or "System.Object[]"), so it cannot be audited. Export it with ${cmdlet} | Export-Clixml ${noun}.xml, or ${cmdlet} | ConvertTo-Json -Depth 5 | Out-File ${noun}.json -Encoding utf8`;
}

/** Reads and recognizes one regular file. Never throws. */
export function readExportFile(path: string, shown: string, fs: ExportFs): ReadFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFile(path, LIMITS.maxFileBytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return notRead(`cannot be read (${code})`, `${shown}: cannot be read (${code})`);
  }
  if (bytes.length > LIMITS.maxFileBytes) {
    return notRead(
      `larger than ${LIMITS.maxFileBytes / 1024 / 1024} MiB`,
      `${shown}: is larger than ${LIMITS.maxFileBytes / 1024 / 1024} MiB, the limit for one export file; split the export (one file per tenant or per server)`,
    );
  }
  const decoded = decodeExportBytes(bytes);
  if ("problem" in decoded) return notRead("damaged text encoding", `${shown}: ${decoded.problem}`);
  const text = decoded.text;
  if (looksLikeCsv(path, text)) return notRead("CSV (Export-Csv) cannot be audited", `${shown}: ${csvAdvice(path)}`);
  if (looksLikeCliXml(text)) {
    const parsed = parseCliXml(text, { maxDepth: LIMITS.maxNesting });
    const fatal = parsed.problems.find((p) => p.path === "");
    if (fatal)
      return notRead(fatal.message.startsWith("nests") ? "nested too deeply" : "not Export-Clixml XML", `${shown}: ${fatal.message}`);
    const kind = kindOfRecords(parsed.records, parsed.typeNames, path);
    if (typeof kind !== "string") return notRead(kind.reason, `${shown}: ${kind.detail}`);
    return { type: "records", kind, value: parsed.records, format: "clixml", problems: parsed.problems };
  }
  const start = text.replace(/^\uFEFF/, "").trimStart()[0];
  if (start !== "[" && start !== "{" && start !== "n" && start !== '"') {
    if (text.trim() === "") return notRead("empty", `${shown}: is empty (expected ConvertTo-Json or Export-Clixml output)`);
    return notRead(
      "neither JSON nor Export-Clixml",
      `${shown}: is neither JSON (ConvertTo-Json) nor Export-Clixml XML; the audit reads ${RECOGNIZED} saved either way`,
    );
  }
  // Counting the depth walks every character; only a text with enough brackets can be too deep.
  const nesting = moreBracketsThan(text, LIMITS.maxNesting) ? jsonNesting(text) : 0;
  if (nesting > LIMITS.maxNesting) {
    return notRead(
      "nested too deeply",
      `${shown}: nests JSON ${nesting} levels deep, beyond the limit of ${LIMITS.maxNesting} (ConvertTo-Json writes at most 100); this is not an export the audit reads`,
    );
  }
  const parsed = parseExchangeJson(text, shown);
  if (parsed.problem) {
    const reason = /cut off/.test(parsed.problem.message) ? "truncated JSON" : "invalid JSON";
    return notRead(reason, `${shown}: ${parsed.problem.message}`);
  }
  const value = parsed.value;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if ("deployment" in record) return { type: "stack", value: record };
    if ("accepted_domains" in record || "inbound_connectors" in record) return { type: "scuba", value: record };
  }
  if (value === null) {
    return notRead(
      "holds null",
      `${shown}: holds null, not ${RECOGNIZED}. A tenant without connectors exports [] (ConvertTo-Json -InputObject @(Get-InboundConnector))`,
    );
  }
  const { records } = exportRecords(value);
  const kind = kindOfRecords(records, undefined, path);
  if (typeof kind !== "string") return notRead(kind.reason, `${shown}: ${kind.detail}`);
  return { type: "records", kind, value, format: "json", problems: [] };
}
