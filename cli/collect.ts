import { basename, join, relative, sep } from "node:path";
import type { Certificate, InboundConnector, Inventory, SendConnector, Tenant } from "../policy/src/engine";
import {
  type AssemblyNotes,
  assembleInventory,
  type ExchangeProblem,
  formatProblem,
  readAcceptedDomains,
  readExchangeCertificates,
  readInboundConnectors,
  readSendConnectors,
} from "../policy/src/sources/exchange";
import { printable } from "./exports/printable";
import { readScubaExport } from "./exports/scuba";
import { readStackExport } from "./exports/stack";
import {
  type ExportFs,
  type ExportKind,
  KIND_CMDLET,
  kindFromName,
  LIMITS,
  nodeFs,
  type ReadFile,
  readExportFile,
  specialKind,
} from "./exports/files";

/** The export file names the docs use (docs/exports.md); files are recognized by content, these are only suggestions. */
export const EXPORT_FILES = {
  acceptedDomains: "AcceptedDomain.json",
  inboundConnectors: "InboundConnector.json",
  sendConnectors: "SendConnector.json",
  certificates: "ExchangeCertificate.json",
} as const;
export const SHARED_ONPREM_FOLDER = "_onprem";

function pushAll<T>(target: T[], items: readonly T[]): void {
  // A loop, not push(...items): a file with 100,000+ records would overflow the call stack.
  for (const item of items) target.push(item);
}

/** Everything read from all inputs, before assembly. */
export class Collection {
  readonly tenants = new Map<string, Tenant>();
  readonly inboundConnectors: InboundConnector[] = [];
  readonly sendConnectors: SendConnector[] = [];
  readonly certificates: Certificate[] = [];
  readonly filesRead: string[] = [];
  /** Inputs (files, folders, tenants) that were not read or not audited, with the reason. */
  readonly notRead: { input: string; reason: string }[] = [];
  /** Every bad-input message; any entry makes the exit code 2. */
  readonly problems: string[] = [];
  /** Tenants some of whose inputs were not read; "all" when an input of no single tenant (on-premises, a folder) was not. */
  partlyRead: Set<string> | "all" = new Set();
  /** Certificates read that no send connector presents (after assemble). */
  certificatesNotOnPath = 0;
  tenantsSeen = 0;

  constructor(
    private readonly onTenant: (count: number) => void = () => {},
    /** Inbound connector names (lower case) that belong to an add-on service relaying through Exchange Online. */
    readonly addOnConnectors: ReadonlySet<string> = new Set(),
    /** File-system access; tests pass one that fails where they need it to. */
    readonly fs: ExportFs = nodeFs,
  ) {}

  addOnService = (connectorName: string): string | undefined =>
    this.addOnConnectors.has(connectorName.toLowerCase()) ? connectorName : undefined;

  addProblems(problems: readonly ExchangeProblem[]): void {
    for (const problem of problems) this.problems.push(printable(formatProblem(problem)));
  }

  /** An input that is not read: named under "Not read" with the reason, and a problem (exit 2). */
  notReadInput(input: string, reason: string, problem: string): void {
    this.notRead.push({ input: printable(input), reason: printable(reason) });
    this.problems.push(printable(problem));
  }

  markPartlyRead(tenant: string | undefined): void {
    if (this.partlyRead === "all") return;
    if (tenant === undefined) this.partlyRead = "all";
    else this.partlyRead.add(tenant);
  }

  isPartlyRead(tenant: string): boolean {
    return this.partlyRead === "all" || this.partlyRead.has(tenant);
  }

  /** Adds a tenant with its inbound connectors; a tenant read twice keeps the first reading. */
  addTenant(tenant: Tenant, connectors: readonly InboundConnector[], source: string): void {
    const known = this.tenants.get(tenant.name);
    if (known) {
      this.problems.push(
        printable(`${source}: tenant "${tenant.name}" was already read from ${known.source ?? "another input"}; this copy is ignored`),
      );
      this.notRead.push({ input: printable(source), reason: `duplicate of tenant "${tenant.name}"` });
      return;
    }
    this.tenants.set(tenant.name, tenant);
    pushAll(this.inboundConnectors, connectors);
    this.tenantsSeen += 1;
    this.onTenant(this.tenantsSeen);
  }

  addInventory(inventory: Inventory): void {
    for (const tenant of inventory.tenants) {
      const known = this.tenants.get(tenant.name);
      this.tenants.set(
        tenant.name,
        known ? { ...known, acceptedDomains: [...new Set([...known.acceptedDomains, ...tenant.acceptedDomains])] } : tenant,
      );
    }
    pushAll(this.inboundConnectors, inventory.inboundConnectors);
    pushAll(this.sendConnectors, inventory.sendConnectors);
    pushAll(this.certificates, inventory.certificates);
  }

  assemble(): { inventory: Inventory; notes: AssemblyNotes } {
    const assembled = assembleInventory({
      tenants: [...this.tenants.values()],
      inboundConnectors: this.inboundConnectors,
      sendConnectors: this.sendConnectors,
      certificates: this.certificates,
    });
    this.certificatesNotOnPath = assembled.notes.unusedCertificates.length;
    return assembled;
  }
}

/** Paths in messages are shown as given (relative to the working directory), with forward slashes. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const shown = rel === "" ? "." : rel.startsWith("..") ? path : rel;
  return shown.split("\\").join("/");
}

/** One walk over one command-line path: its real root (symlinks are followed only inside it) and the folders already read. */
interface Walk {
  readonly root: string;
  readonly cwd: string;
  readonly collection: Collection;
  readonly visited: Set<string>;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

type Entry = { readonly kind: "file" | "folder"; readonly path: string; readonly real: string; readonly shown: string };

/**
 * The entries of a folder that can be read; every other one (a link out of the export, a loop, a
 * FIFO, a device, an entry that cannot be looked at) is named under "Not read" with the reason.
 */
function listFolder(dir: string, walk: Walk): Entry[] | undefined {
  const { collection, cwd } = walk;
  const shownDir = displayPath(dir, cwd);
  let names: string[];
  try {
    names = collection.fs.readdir(dir);
  } catch (error) {
    const code = errorCode(error);
    collection.notReadInput(
      shownDir,
      `folder cannot be read (${code})`,
      `${shownDir}: folder cannot be read (${code}); nothing in it was audited`,
    );
    return undefined;
  }
  const entries: Entry[] = [];
  for (const name of names.sort((a, b) => a.localeCompare(b))) {
    const path = join(dir, name);
    const shown = displayPath(path, cwd);
    let real: string;
    let stat: ReturnType<ExportFs["stat"]>;
    try {
      const link = collection.fs.lstat(path);
      stat = collection.fs.stat(path);
      // Folders by their real path, so a loop is seen whatever spelling of the path leads back.
      real = link.isSymbolicLink() || stat.isDirectory() ? collection.fs.realpath(path) : path;
    } catch (error) {
      const code = errorCode(error);
      const reason = code === "ELOOP" ? "symbolic link loop" : code === "ENOENT" ? "broken symbolic link" : `cannot be read (${code})`;
      collection.notReadInput(shown, reason, `${shown}: ${reason}; not read`);
      continue;
    }
    if (real !== path && !inside(walk.root, real)) {
      collection.notReadInput(
        shown,
        "symbolic link out of the export",
        `${shown}: is a symbolic link to ${real}, outside the export ${displayPath(walk.root, cwd)}; not read. Copy the file into the export or pass its folder on the command line.`,
      );
      continue;
    }
    if (stat.isDirectory()) entries.push({ kind: "folder", path, real, shown });
    else if (stat.isFile()) entries.push({ kind: "file", path, real, shown });
    else {
      const what = specialKind(stat);
      collection.notReadInput(shown, `is ${what}`, `${shown}: is ${what}, not a regular file; not read`);
    }
  }
  return entries;
}

interface FolderFiles {
  readonly records: { file: Entry; read: Extract<ReadFile, { type: "records" }> }[];
  readonly scuba: { file: Entry; value: Record<string, unknown> }[];
  readonly stacks: { file: Entry; value: Record<string, unknown> }[];
  /** What the files that could not be read were named as (AcceptedDomain.json...), so their absence is not reported twice. */
  readonly failedKinds: Set<ExportKind>;
}

function recognize(files: readonly Entry[], collection: Collection): FolderFiles {
  const out: FolderFiles = { records: [], scuba: [], stacks: [], failedKinds: new Set() };
  for (const file of files) {
    const read = readExportFile(file.path, file.shown, collection.fs);
    if (read.type === "notRead") {
      collection.notReadInput(file.shown, read.reason, read.problem);
      const named = kindFromName(file.path);
      if (named) out.failedKinds.add(named);
    } else if (read.type === "records") out.records.push({ file, read });
    else if (read.type === "scuba") out.scuba.push({ file, value: read.value });
    else out.stacks.push({ file, value: read.value });
  }
  return out;
}

function formatLayerProblems(read: Extract<ReadFile, { type: "records" }>, shown: string): ExchangeProblem[] {
  return read.problems.map((p) => ({ file: shown, path: p.path, message: p.message }));
}

/** Send connectors and certificates, from whichever folder holds them. */
function readOnPremFile(file: Entry, read: Extract<ReadFile, { type: "records" }>, collection: Collection): void {
  collection.filesRead.push(printable(file.shown));
  collection.addProblems(formatLayerProblems(read, file.shown));
  if (read.kind === "sendConnectors") {
    const result = readSendConnectors(read.value, file.shown);
    pushAll(collection.sendConnectors, result.items);
    collection.addProblems(result.problems);
  } else {
    const result = readExchangeCertificates(read.value, file.shown);
    pushAll(collection.certificates, result.items);
    collection.addProblems(result.problems);
  }
}

/** A folder name that can stand for the tenant (its initial domain) when no record says InitialDomain. */
function tenantHintOf(dir: string): string | undefined {
  const name = basename(dir).toLowerCase();
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name) ? name : undefined;
}

function readTenantFiles(dir: string, files: FolderFiles, walk: Walk): string | undefined {
  const { collection, cwd } = walk;
  const shownDir = displayPath(dir, cwd);
  const byKind = (kind: ExportKind) => files.records.filter((r) => r.read.kind === kind);
  const accepted = byKind("acceptedDomains");
  const inbound = byKind("inboundConnectors");
  if (accepted.length === 0 && inbound.length === 0) return undefined;
  const hint = tenantHintOf(dir);
  let tenant: Tenant | undefined;
  for (const { file, read } of accepted) {
    collection.filesRead.push(printable(file.shown));
    collection.addProblems(formatLayerProblems(read, file.shown));
    const result = readAcceptedDomains(read.value, file.shown, hint);
    collection.addProblems(result.problems);
    if (tenant === undefined) tenant = result.items[0];
    else if (result.items[0]) {
      collection.problems.push(
        printable(`${file.shown}: is a second ${KIND_CMDLET.acceptedDomains} export in ${shownDir}; export one tenant per folder`),
      );
    }
  }
  if (accepted.length === 0 && !files.failedKinds.has("acceptedDomains")) {
    collection.problems.push(
      printable(
        `${shownDir}: no ${KIND_CMDLET.acceptedDomains} export; without the accepted domains the tenant's connectors cannot be checked. Export it with Get-AcceptedDomain | Export-Clixml AcceptedDomain.xml (or | ConvertTo-Json -Depth 5)`,
      ),
    );
  }
  const name = tenant?.name ?? hint ?? basename(dir).toLowerCase();
  const connectors: InboundConnector[] = [];
  for (const { file, read } of inbound) {
    collection.filesRead.push(printable(file.shown));
    collection.addProblems(formatLayerProblems(read, file.shown));
    const result = readInboundConnectors(read.value, file.shown, name, { addOnService: collection.addOnService });
    collection.addProblems(result.problems);
    pushAll(connectors, result.items);
  }
  if (inbound.length === 0 && !files.failedKinds.has("inboundConnectors")) {
    collection.problems.push(
      printable(
        `${shownDir}: no ${KIND_CMDLET.inboundConnectors} export. Export it with Get-InboundConnector | Export-Clixml InboundConnector.xml (or | ConvertTo-Json -Depth 5)`,
      ),
    );
  }
  if (tenant === undefined) {
    collection.notRead.push({
      input: printable(shownDir),
      reason: printable(`tenant "${name}" not audited: no readable accepted domains`),
    });
    return name;
  }
  collection.addTenant(tenant, connectors, shownDir);
  return tenant.name;
}

/** Reads one folder by what its files hold, then its subfolders. Returns how many inputs were used. */
function readFolder(dir: string, real: string, walk: Walk, depth: number): number {
  const { collection, cwd } = walk;
  const shownDir = displayPath(dir, cwd);
  if (walk.visited.has(real)) {
    collection.notReadInput(
      shownDir,
      "link to a folder already read",
      `${shownDir}: leads to a folder already read (a symbolic link to it, or a loop); not read again`,
    );
    return 0;
  }
  walk.visited.add(real);
  if (depth > LIMITS.maxFolderDepth) {
    collection.notReadInput(
      shownDir,
      `deeper than ${LIMITS.maxFolderDepth} folder levels`,
      `${shownDir}: is more than ${LIMITS.maxFolderDepth} folder levels below the path given; not read. Pass it on the command line.`,
    );
    return 0;
  }
  const problemsBefore = collection.problems.length;
  const entries = listFolder(dir, walk);
  if (entries === undefined) {
    collection.markPartlyRead(undefined);
    return 0;
  }
  const files = recognize(
    entries.filter((e) => e.kind === "file"),
    collection,
  );
  let used = 0;
  for (const { file, value } of files.scuba) {
    collection.filesRead.push(printable(file.shown));
    const before = collection.problems.length;
    const name = readScubaExport(value, file.shown, tenantHintOf(dir), collection);
    if (collection.problems.length > before) collection.markPartlyRead(name);
    used += 1;
  }
  for (const { file, value } of files.stacks) {
    collection.filesRead.push(printable(file.shown));
    readStackExport(value, file.shown, collection);
    used += 1;
  }
  const tenant = readTenantFiles(dir, files, walk);
  if (tenant !== undefined) used += 1;
  let onPremFiles = 0;
  for (const { file, read } of files.records) {
    if (read.kind !== "sendConnectors" && read.kind !== "certificates") continue;
    readOnPremFile(file, read, collection);
    onPremFiles += 1;
  }
  if (onPremFiles > 0) used += 1;
  // Problems here belong to this tenant when the folder is a tenant's and holds nothing on-premises.
  if (collection.problems.length > problemsBefore) collection.markPartlyRead(onPremFiles === 0 ? tenant : undefined);
  for (const entry of entries) {
    if (entry.kind !== "folder") continue;
    const usedBelow = readFolder(entry.path, entry.real, walk, depth + 1);
    if (usedBelow === 0 && !collection.notRead.some((n) => n.input.startsWith(printable(entry.shown)))) {
      collection.notRead.push({ input: printable(entry.shown), reason: "no export files" });
    }
    used += usedBelow;
  }
  return used;
}

/** Reads one command-line path: an export root, a tenant folder, a ScubaGear file or folder, or a stack export file. */
export function readPath(path: string, cwd: string, collection: Collection): void {
  const shown = displayPath(path, cwd);
  let real: string;
  let stat: ReturnType<ExportFs["stat"]>;
  try {
    real = collection.fs.realpath(path);
    stat = collection.fs.stat(real);
  } catch (error) {
    const code = errorCode(error);
    const reason = code === "ENOENT" ? "no such file or folder" : code === "ELOOP" ? "symbolic link loop" : `cannot be read (${code})`;
    // The problem and the "Not read" entry say the same here, so the report names the input once.
    const message = `${shown}: ${reason}`;
    collection.notReadInput(shown, reason, message);
    collection.markPartlyRead(undefined);
    return;
  }
  const walk: Walk = { root: stat.isDirectory() ? real : join(real, ".."), cwd, collection, visited: new Set() };
  if (stat.isFile()) {
    const entry: Entry = { kind: "file", path, real, shown };
    const before = collection.problems.length;
    const files = recognize([entry], collection);
    for (const { value } of files.scuba) {
      collection.filesRead.push(printable(shown));
      readScubaExport(value, shown, undefined, collection);
    }
    for (const { value } of files.stacks) {
      collection.filesRead.push(printable(shown));
      readStackExport(value, shown, collection);
    }
    for (const { file, read } of files.records) {
      if (read.kind === "sendConnectors" || read.kind === "certificates") readOnPremFile(file, read, collection);
      else {
        collection.notReadInput(
          shown,
          "a tenant's file given alone",
          `${shown}: holds ${KIND_CMDLET[read.kind]} output; pass the tenant's folder (with its accepted domains and inbound connectors) instead of the file`,
        );
      }
    }
    if (collection.problems.length > before) collection.markPartlyRead(undefined);
    return;
  }
  if (!stat.isDirectory()) {
    const what = specialKind(stat);
    collection.notReadInput(shown, `is ${what}`, `${shown}: is ${what}, not a file or folder; not read`);
    collection.markPartlyRead(undefined);
    return;
  }
  const used = readFolder(path, real, walk, 0);
  if (used === 0) {
    collection.problems.push(
      printable(
        `${shown}: holds no exports the audit reads (a tenant's accepted domains and inbound connectors, ScubaGear's ProviderSettingsExport.json, on-premises send connectors or certificates, a stack export)`,
      ),
    );
    collection.markPartlyRead(undefined);
  }
}
