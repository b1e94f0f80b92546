import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { Certificate, InboundConnector, Inventory, SendConnector, Tenant } from "../policy/src/engine";
import { inventoryFromPulumiResources } from "../policy/src/sources/pulumi";
import {
  type AssemblyNotes,
  assembleInventory,
  decodeExportText,
  type ExchangeProblem,
  formatProblem,
  parseExchangeJson,
  readAcceptedDomains,
  readExchangeCertificates,
  readInboundConnectors,
  readSendConnectors,
} from "../policy/src/sources/exchange";

/** The export file names an admin writes (docs/audit.md: "Exports an admin runs"). */
export const EXPORT_FILES = {
  acceptedDomains: "AcceptedDomain.json",
  inboundConnectors: "InboundConnector.json",
  sendConnectors: "SendConnector.json",
  certificates: "ExchangeCertificate.json",
} as const;
export const SHARED_ONPREM_FOLDER = "_onprem";

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
  tenantsSeen = 0;

  constructor(
    private readonly onTenant: (count: number) => void = () => {},
    /** Inbound connector names (lower case) that belong to an add-on service relaying through Exchange Online. */
    readonly addOnConnectors: ReadonlySet<string> = new Set(),
  ) {}

  addOnService = (connectorName: string): string | undefined =>
    this.addOnConnectors.has(connectorName.toLowerCase()) ? connectorName : undefined;

  addProblems(problems: readonly ExchangeProblem[]): void {
    for (const problem of problems) this.problems.push(formatProblem(problem));
  }

  /** Adds a tenant with its inbound connectors; a tenant read twice keeps the first reading. */
  addTenant(tenant: Tenant, connectors: readonly InboundConnector[], source: string): void {
    const known = this.tenants.get(tenant.name);
    if (known) {
      this.problems.push(
        `${source}: tenant "${tenant.name}" was already read from ${known.source ?? "another input"}; this copy is ignored`,
      );
      this.notRead.push({ input: source, reason: `duplicate of tenant "${tenant.name}"` });
      return;
    }
    this.tenants.set(tenant.name, tenant);
    this.inboundConnectors.push(...connectors);
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
    this.inboundConnectors.push(...inventory.inboundConnectors);
    this.sendConnectors.push(...inventory.sendConnectors);
    this.certificates.push(...inventory.certificates);
  }

  assemble(): { inventory: Inventory; notes: AssemblyNotes } {
    return assembleInventory({
      tenants: [...this.tenants.values()],
      inboundConnectors: this.inboundConnectors,
      sendConnectors: this.sendConnectors,
      certificates: this.certificates,
    });
  }
}

/** Paths in messages are shown as given (relative to the working directory), with forward slashes. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const shown = rel === "" ? "." : rel.startsWith("..") ? path : rel;
  return shown.split("\\").join("/");
}

function readJson(path: string, shown: string, collection: Collection): { ok: true; value: unknown } | { ok: false } {
  let text: string;
  try {
    text = decodeExportText(readFileSync(path));
  } catch (error) {
    collection.problems.push(`${shown}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    collection.notRead.push({ input: shown, reason: "cannot be read" });
    return { ok: false };
  }
  const parsed = parseExchangeJson(text, shown);
  if (parsed.problem) {
    collection.problems.push(formatProblem(parsed.problem));
    collection.notRead.push({ input: shown, reason: /cut off/.test(parsed.problem.message) ? "truncated JSON" : "invalid JSON" });
    return { ok: false };
  }
  collection.filesRead.push(shown);
  return { ok: true, value: parsed.value };
}

function isTenantFolder(dir: string): boolean {
  return existsSync(join(dir, EXPORT_FILES.acceptedDomains)) || existsSync(join(dir, EXPORT_FILES.inboundConnectors));
}

function isOnPremFolder(dir: string): boolean {
  return existsSync(join(dir, EXPORT_FILES.sendConnectors)) || existsSync(join(dir, EXPORT_FILES.certificates));
}

/** SendConnector.json / ExchangeCertificate.json, wherever they are (tenant folder or _onprem). */
function readOnPrem(dir: string, cwd: string, collection: Collection): void {
  const sendPath = join(dir, EXPORT_FILES.sendConnectors);
  if (existsSync(sendPath)) {
    const shown = displayPath(sendPath, cwd);
    const json = readJson(sendPath, shown, collection);
    if (json.ok) {
      const result = readSendConnectors(json.value, shown);
      collection.sendConnectors.push(...result.items);
      collection.addProblems(result.problems);
    }
  }
  const certPath = join(dir, EXPORT_FILES.certificates);
  if (existsSync(certPath)) {
    const shown = displayPath(certPath, cwd);
    const json = readJson(certPath, shown, collection);
    if (json.ok) {
      const result = readExchangeCertificates(json.value, shown);
      collection.certificates.push(...result.items);
      collection.addProblems(result.problems);
    }
  }
}

/** One tenant's export folder; the folder name is the tenant's initial domain. */
export function readTenantFolder(dir: string, cwd: string, collection: Collection): void {
  const shownDir = displayPath(dir, cwd);
  const tenantHint = basename(dir).toLowerCase();
  const acceptedPath = join(dir, EXPORT_FILES.acceptedDomains);
  const inboundPath = join(dir, EXPORT_FILES.inboundConnectors);
  let tenant: Tenant | undefined;
  if (!existsSync(acceptedPath)) {
    collection.problems.push(
      `${shownDir}: ${EXPORT_FILES.acceptedDomains} is missing; without the accepted domains the tenant's connectors cannot be checked. Export it with Get-AcceptedDomain | ConvertTo-Json -Depth 5`,
    );
  } else {
    const shown = displayPath(acceptedPath, cwd);
    const json = readJson(acceptedPath, shown, collection);
    if (json.ok) {
      const result = readAcceptedDomains(json.value, shown, tenantHint);
      collection.addProblems(result.problems);
      tenant = result.items[0];
    }
  }
  let connectors: InboundConnector[] = [];
  if (existsSync(inboundPath)) {
    const shown = displayPath(inboundPath, cwd);
    const json = readJson(inboundPath, shown, collection);
    if (json.ok) {
      const result = readInboundConnectors(json.value, shown, tenant?.name ?? tenantHint, { addOnService: collection.addOnService });
      collection.addProblems(result.problems);
      connectors = result.items;
    }
  } else {
    collection.problems.push(
      `${shownDir}: ${EXPORT_FILES.inboundConnectors} is missing. Export it with Get-InboundConnector | ConvertTo-Json -Depth 5`,
    );
  }
  readOnPrem(dir, cwd, collection);
  if (tenant === undefined) {
    collection.notRead.push({ input: shownDir, reason: `tenant "${tenantHint}" not audited: no readable ${EXPORT_FILES.acceptedDomains}` });
    return;
  }
  collection.addTenant(tenant, connectors, shownDir);
}

/** A `pulumi stack export` file (it has a `deployment` key). */
function readStackExport(value: Record<string, unknown>, shown: string, collection: Collection): void {
  const deployment = value.deployment as { resources?: unknown } | null | undefined;
  const resources = Array.isArray(deployment?.resources) ? deployment.resources : [];
  const normalized = resources.flatMap((resource: unknown) => {
    if (resource === null || typeof resource !== "object") return [];
    const r = resource as { type?: unknown; urn?: unknown; inputs?: unknown; outputs?: unknown };
    if (typeof r.type !== "string" || typeof r.urn !== "string") return [];
    const name = r.urn.split("::").at(-1) ?? r.urn;
    const props = { ...(asRecord(r.inputs) ?? {}), ...(asRecord(r.outputs) ?? {}) };
    // Dynamic providers store their provider code in __provider: not a connector property.
    delete props.__provider;
    return [{ type: r.type, urn: r.urn, name, props }];
  });
  const result = inventoryFromPulumiResources(normalized, shown);
  for (const problem of result.problems) collection.problems.push(`${shown}: ${problem}`);
  collection.addInventory(result.inventory);
  collection.tenantsSeen += result.inventory.tenants.length;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function readJsonFile(path: string, cwd: string, collection: Collection): void {
  const shown = displayPath(path, cwd);
  const json = readJson(path, shown, collection);
  if (!json.ok) return;
  const record = asRecord(json.value);
  if (record && "deployment" in record) {
    readStackExport(record, shown, collection);
    return;
  }
  collection.filesRead.pop();
  collection.problems.push(
    `${shown}: is neither a "pulumi stack export" file (no "deployment" key) nor an export folder. Pass the folder that holds ${EXPORT_FILES.acceptedDomains} and ${EXPORT_FILES.inboundConnectors}`,
  );
  collection.notRead.push({ input: shown, reason: "not a stack export" });
}

/** Reads one command-line path: an export root, a tenant folder, or a stack export file. */
export function readPath(path: string, cwd: string, collection: Collection): void {
  const shown = displayPath(path, cwd);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    collection.problems.push(`${shown}: no such file or folder`);
    collection.notRead.push({ input: shown, reason: "does not exist" });
    return;
  }
  if (stat.isFile()) {
    readJsonFile(path, cwd, collection);
    return;
  }
  if (isTenantFolder(path)) {
    readTenantFolder(path, cwd, collection);
    return;
  }
  const entries = readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  let used = 0;
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === SHARED_ONPREM_FOLDER) {
        readOnPrem(full, cwd, collection);
        used += 1;
      } else if (isTenantFolder(full)) {
        readTenantFolder(full, cwd, collection);
        used += 1;
      } else if (isOnPremFolder(full)) {
        collection.problems.push(
          `${displayPath(full, cwd)}: holds on-premises exports but no ${EXPORT_FILES.acceptedDomains}; name the shared folder ${SHARED_ONPREM_FOLDER}`,
        );
        collection.notRead.push({ input: displayPath(full, cwd), reason: "on-premises exports outside _onprem" });
      } else {
        collection.notRead.push({ input: displayPath(full, cwd), reason: "no export files" });
      }
    } else if (entry.isFile() && entry.name.endsWith(".json")) {
      readJsonFile(full, cwd, collection);
      used += 1;
    }
  }
  if (used === 0) {
    collection.problems.push(
      `${shown}: holds no tenant export folders (<tenant>/${EXPORT_FILES.acceptedDomains}, <tenant>/${EXPORT_FILES.inboundConnectors}) and no stack export files`,
    );
  }
}
