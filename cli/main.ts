#!/usr/bin/env node
// Start-up is most of a small audit: V8's compiled code for zod and the engine is kept on disk
// (Node's module compile cache) so that later runs skip compiling it. First, before the imports load them.
import { enableCompileCache } from "node:module";

enableCompileCache?.();

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  buildIndex,
  ConfigError,
  type EngineConfigInput,
  evaluate,
  type Finding,
  type Inventory,
  InputError,
  nearest,
  type OrgAssignments,
  OrgAssignmentsSchema,
  PackConfigError,
  parsePackConfig,
  resolveConfig,
} from "../policy/src/engine";
import { CLOUD_NAMES, CLOUDS, type Cloud, DEFAULT_CLOUD } from "../policy/src/engine/clouds";
import { Collection, readPath } from "./collect";
import { UsageError } from "./errors";
import { checkOutputFile, outputWriteError } from "./output-path";
import { type LiveReaderFactory, liveArguments, noteTenantList, readLiveTenants, validateLiveOptions } from "./live";
import { formatLiveSummary, type LiveSummary } from "./live/summary";
import {
  type AuditReport,
  countFindings,
  findingTenant,
  formatJson,
  formatSarif,
  formatText,
  type Summary,
  summaryLine,
  TOOL_NAME,
} from "./report";
import { AUDIT_USAGE, INVENTORY_USAGE, MAIN_USAGE } from "./usage";

/** Where the CLI writes and what it knows about its surroundings; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stderrIsTty: boolean;
  /** Live tenant reader; default ExchangeOnlineClient. */
  readonly liveReader?: LiveReaderFactory;
}

/** The policies that read the org-wide table from their config (see policy/src/pack). */
export const ORG_ASSIGNMENT_POLICIES = ["certificate-not-shared-across-tenants", "sender-ip-not-shared"] as const;
/** Rules whose findings are conflicts between tenants. */
const CROSS_TENANT_RULES = new Set<string>([...ORG_ASSIGNMENT_POLICIES, "send-connector-per-tenant"]);
const PROGRESS_EVERY = 500;
const COMMANDS: readonly string[] = ["audit", "inventory", "plan"];

export function version(): string {
  for (const candidate of [join(__dirname, "..", "..", "package.json"), join(__dirname, "..", "package.json")]) {
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "mailflow-guard" && pkg.version) return pkg.version;
      } catch {
        // fall through
      }
    }
  }
  return "0.0.0";
}

const COMMON_OPTIONS = {
  live: { type: "string", multiple: true },
  "live-tenants": { type: "string" },
  concurrency: { type: "string" },
  "retry-budget": { type: "string" },
  endpoint: { type: "string" },
  cloud: { type: "string" },
  "token-env": { type: "string" },
  "client-id": { type: "string" },
  "certificate-file": { type: "string" },
  "private-key-file": { type: "string" },
  config: { type: "string" },
  now: { type: "string" },
  output: { type: "string", short: "o" },
  "add-on-connector": { type: "string", multiple: true },
  progress: { type: "boolean" },
  "no-progress": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const AUDIT_OPTIONS = {
  ...COMMON_OPTIONS,
  format: { type: "string", short: "f" },
  "fail-on": { type: "string" },
} as const;

const PLAN_OPTIONS = {
  ...COMMON_OPTIONS,
  stack: { type: "string" },
  "source-server": { type: "string", multiple: true },
} as const;

function parse<T extends typeof COMMON_OPTIONS | typeof AUDIT_OPTIONS | typeof PLAN_OPTIONS>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    if (unknown === undefined) throw new UsageError((error as Error).message);
    const guess = nearest(unknown.replace(/^-+/, ""), Object.keys(options));
    throw new UsageError(`unknown option "${unknown}".${guess ? ` Did you mean "--${guess}"?` : ""}`);
  }
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} "${value}" is not allowed. Allowed values are: ${allowed.join(", ")}`);
}

/**
 * --config: the policy-pack config file (what `inventory` writes, what --policy-pack-config takes),
 * read by the engine's own parser so that it means the same here as in the pack.
 */
function loadConfig(path: string | undefined, now: string | undefined, io: CliIo): EngineConfigInput {
  let config: EngineConfigInput = {};
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, path), "utf8");
    } catch (error) {
      throw new UsageError(`--config ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--config ${path}: is not valid JSON (${(error as Error).message})`);
    }
    config = parsePackConfig(raw, path);
  }
  if (now !== undefined) {
    if (Number.isNaN(new Date(now).getTime()))
      throw new UsageError(`--now "${now}" is not a date. Give an ISO 8601 date such as 2026-06-01`);
    config = { ...config, now };
  }
  // Validate once here so that a bad setting is a usage error naming the file.
  resolveConfig(config, path ?? "config");
  return config;
}

/**
 * Progress on stderr: on by default when stderr is a terminal (a long audit is never silent), off
 * otherwise so that CI logs and pipes stay clean; --progress and --no-progress decide either way.
 * Phase lines (each input, each live tenant, the rules) show even on small inputs.
 */
function progressReporter(values: ReturnType<typeof parse>["values"], io: CliIo): (line: string) => void {
  const on = values.progress as boolean | undefined;
  const off = values["no-progress"] as boolean | undefined;
  if (on && off) throw new UsageError("--progress and --no-progress are opposites; give one");
  const enabled = on === true || (off !== true && io.stderrIsTty);
  return enabled ? (line) => io.stderr(`mailflow-guard: ${line}\n`) : () => {};
}

interface Gathered {
  readonly collection: Collection;
  readonly inventory: Inventory;
  readonly skippedSendConnectors: readonly { input: string; reason: string }[];
  /** The cloud --cloud named (default worldwide). */
  readonly cloud: Cloud;
  /** The live run's figures, when tenants were read live. */
  readonly live?: LiveSummary;
}

async function gather(values: ReturnType<typeof parse>["values"], positionals: string[], io: CliIo): Promise<Gathered> {
  // --cloud picks the admin endpoint and token authority from the engine's cloud table.
  const cloud = CLOUDS[oneOf("cloud", values.cloud as string | undefined, CLOUD_NAMES, DEFAULT_CLOUD)];
  const given = liveArguments(
    {
      live: values.live as string[] | undefined,
      liveTenants: values["live-tenants"] as string | undefined,
      concurrency: values.concurrency as string | undefined,
      retryBudget: values["retry-budget"] as string | undefined,
    },
    io.cwd,
    (path) => resolve(io.cwd, path),
  );
  const live = {
    tenants: given.tenants,
    ...(given.concurrency !== undefined ? { concurrency: given.concurrency } : {}),
    ...(given.retryBudget !== undefined ? { retryBudget: given.retryBudget } : {}),
    endpoint: (values.endpoint as string | undefined) ?? cloud.adminEndpoint,
    authorityHost: cloud.authorityHost,
    ...(values["token-env"] !== undefined ? { tokenEnv: values["token-env"] as string } : {}),
    ...(values["client-id"] !== undefined ? { clientId: values["client-id"] as string } : {}),
    ...(values["certificate-file"] !== undefined ? { certificateFile: resolve(io.cwd, values["certificate-file"] as string) } : {}),
    ...(values["private-key-file"] !== undefined ? { privateKeyFile: resolve(io.cwd, values["private-key-file"] as string) } : {}),
  };
  if (positionals.length === 0 && live.tenants.length === 0 && given.malformed.length === 0)
    throw new UsageError("no inputs: give export folders, stack export files, --live <tenant> or --live-tenants <file>");
  validateLiveOptions(live, io.env);
  const progress = progressReporter(values, io);
  const addOn = new Set(((values["add-on-connector"] as string[] | undefined) ?? []).map((name) => name.toLowerCase()));
  const collection = new Collection((count) => {
    if (count % PROGRESS_EVERY === 0) progress(`read ${count} tenants...`);
  }, addOn);
  noteTenantList(given, collection, (line) => io.stderr(`mailflow-guard: warning: ${line}\n`));
  for (const path of positionals) {
    progress(`reading ${path}...`);
    readPath(resolve(io.cwd, path), io.cwd, collection);
  }
  const liveSummary = await readLiveTenants(live, io.env, collection, io.liveReader, progress);
  const { inventory, notes } = collection.assemble();
  progress(`read ${inventory.tenants.length} tenants; checking them against the rules...`);
  // Read, understood and left out on purpose (internet, partner routes): not an input that was not read.
  const skipped = notes.skippedSendConnectors.map((connector) => ({
    input: `${connector.ref.source ?? "?"}: send connector "${connector.name}"`,
    reason: "routes to no tenant of this run and not to Exchange Online",
  }));
  return { collection, inventory, skippedSendConnectors: skipped, cloud, ...(liveSummary ? { live: liveSummary } : {}) };
}

function summarize(gathered: Gathered, findings: readonly Finding[], exitCode: number): Summary {
  const { collection, inventory } = gathered;
  return {
    filesRead: collection.filesRead.length,
    inputsNotRead: collection.notRead,
    tenants: inventory.tenants.length,
    inboundConnectors: inventory.inboundConnectors.length,
    sendConnectors: inventory.sendConnectors.length,
    certificates: inventory.certificates.length,
    certificatesNotOnPath: collection.certificatesNotOnPath,
    tenantsNotFullyRead: inventory.tenants.map((t) => t.name).filter((name) => collection.isPartlyRead(name)),
    sendConnectorsSkipped: gathered.skippedSendConnectors.length,
    skippedOnPurpose: gathered.skippedSendConnectors,
    findings: countFindings(findings),
    problems: collection.problems.length,
    exitCode,
    ...(gathered.live ? { live: gathered.live } : {}),
  };
}

function write(output: string | undefined, text: string, io: CliIo): void {
  if (output === undefined) io.stdout(text);
  else {
    try {
      writeFileSync(resolve(io.cwd, output), text);
    } catch (error) {
      // The report is kept: it goes to stdout, and the failed write is the error.
      io.stdout(text);
      throw outputWriteError(output, error);
    }
  }
}

async function audit(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, AUDIT_OPTIONS);
  if (values.help) {
    io.stdout(`${AUDIT_USAGE}\n`);
    return 0;
  }
  const format = oneOf("format", values.format, ["text", "json", "sarif", "html"] as const, "text");
  const failOn = oneOf("fail-on", values["fail-on"], ["mandatory", "advisory"] as const, "mandatory");
  if (values.output !== undefined) checkOutputFile(values.output, resolve(io.cwd, values.output));
  const config = loadConfig(values.config, values.now, io);
  const gathered = await gather(values, positionals, io);
  const findings = evaluate(gathered.inventory, config);
  const failing = findings.some((f) => f.severity === "mandatory" || failOn === "advisory");
  const exitCode = gathered.collection.problems.length > 0 ? 2 : failing ? 1 : 0;
  const report: AuditReport = {
    tool: TOOL_NAME,
    version: version(),
    summary: summarize(gathered, findings, exitCode),
    findings,
    problems: gathered.collection.problems,
  };
  const text =
    format === "json"
      ? formatJson(report, gathered.inventory)
      : format === "sarif"
        ? formatSarif(report, gathered.inventory)
        : format === "html"
          ? // Loaded only for html: the layout library is large, and text, JSON and SARIF audits do not need it.
            await (await import("./html")).renderAuditHtml(report, gathered.inventory, {
              engineConfig: config,
              generator: `Generated by ${TOOL_NAME} ${report.version}`,
            })
          : formatText(report, gathered.inventory);
  write(values.output, text, io);
  if (format !== "text" || values.output !== undefined) {
    for (const problem of report.problems) io.stderr(`mailflow-guard: ${problem}\n`);
    io.stderr(`${summaryLine(report.summary)}\n`);
  }
  return exitCode;
}

/** The org-wide assignment table: per tenant, what it owns on its mail-flow path. */
export function buildOrgAssignments(inventory: Inventory): OrgAssignments {
  type Entry = { thumbprints: Set<string>; names: Set<string>; ips: Set<string>; send: Set<string>; sources: Set<string> };
  const table = new Map<string, Entry>();
  const entry = (tenant: string): Entry => {
    let e = table.get(tenant);
    if (!e) {
      e = { thumbprints: new Set(), names: new Set(), ips: new Set(), send: new Set(), sources: new Set() };
      table.set(tenant, e);
    }
    return e;
  };
  for (const tenant of inventory.tenants) {
    const e = entry(tenant.name);
    if (tenant.source) e.sources.add(tenant.source);
  }
  for (const connector of inventory.inboundConnectors) {
    const e = entry(connector.tenant);
    if (connector.connectorType !== "OnPremises") continue;
    if (connector.tlsSenderCertificateName) e.names.add(connector.tlsSenderCertificateName);
    for (const ip of connector.senderIPAddresses) e.ips.add(ip);
  }
  for (const connector of inventory.sendConnectors) {
    for (const tenant of connector.tenants) entry(tenant).send.add(connector.name);
  }
  // Which tenants a certificate serves is the engine's own answer, the one the reuse rule judges.
  for (const [thumbprint, tenants] of buildIndex(inventory).tenantsByThumbprint) {
    for (const tenant of tenants) entry(tenant).thumbprints.add(thumbprint);
  }
  const tenants: OrgAssignments["tenants"] = {};
  for (const name of [...table.keys()].sort()) {
    const e = table.get(name) as Entry;
    tenants[name] = {
      certificateThumbprints: [...e.thumbprints].sort(),
      certificateNames: [...e.names].sort(),
      senderIPAddresses: [...e.ips].sort(),
      sendConnectors: [...e.send].sort(),
      ...(e.sources.size > 0 ? { source: [...e.sources].sort().join(", ") } : {}),
    };
  }
  return OrgAssignmentsSchema.parse({ version: 1, tenants });
}

async function inventoryCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, COMMON_OPTIONS);
  if (values.help) {
    io.stdout(`${INVENTORY_USAGE}\n`);
    return 0;
  }
  if (values.output !== undefined) checkOutputFile(values.output, resolve(io.cwd, values.output));
  const config = loadConfig(values.config, values.now, io);
  const gathered = await gather(values, positionals, io);
  const orgAssignments = buildOrgAssignments(gathered.inventory);
  const packConfig = Object.fromEntries(ORG_ASSIGNMENT_POLICIES.map((id) => [id, { orgAssignments }]));
  write(values.output, `${JSON.stringify(packConfig, null, 2)}\n`, io);
  // The table itself is not fed back: conflicts are between the tenants read in this run.
  const { orgAssignments: _ignored, ...engineConfig } = config;
  const conflicts = evaluate(gathered.inventory, engineConfig).filter(
    // A tenant without a send connector of its own is a gap, not a conflict between tenants.
    (f) => CROSS_TENANT_RULES.has(f.ruleId) && (f.ruleId !== "send-connector-per-tenant" || f.resource.kind === "sendConnector"),
  );
  for (const problem of gathered.collection.problems) io.stderr(`mailflow-guard: ${problem}\n`);
  for (const finding of conflicts) {
    const tenant = findingTenant(finding, gathered.inventory);
    io.stderr(`conflict: ${finding.ruleId}${tenant ? ` (${tenant})` : ""}: ${finding.message}\n  Fix: ${finding.remediation}\n`);
  }
  const tenantCount = Object.keys(orgAssignments.tenants).length;
  io.stderr(
    `Inventory: ${tenantCount} tenants, ${gathered.collection.filesRead.length} files read, ${gathered.collection.notRead.length} inputs not read, ${conflicts.length} cross-tenant ${conflicts.length === 1 ? "conflict" : "conflicts"}${gathered.live ? `; ${formatLiveSummary(gathered.live)}` : ""}.\n`,
  );
  return gathered.collection.problems.length > 0 ? 2 : conflicts.length > 0 ? 1 : 0;
}

/** Runs the CLI; returns the exit code. Never throws: every error becomes a message and exit code 2. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // "help audit" is "audit --help".
    if (command === "help" && rest[0] !== undefined && COMMANDS.includes(rest[0])) return await run([rest[0], "--help"], io);
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      (command === undefined ? io.stderr : io.stdout)(`${MAIN_USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-v") {
      io.stdout(`${version()}\n`);
      return 0;
    }
    if (command === "audit") return await audit(rest, io);
    if (command === "inventory") return await inventoryCommand(rest, io);
    if (command === "plan") {
      const { values, positionals } = parse(rest, PLAN_OPTIONS);
      // Loaded only for plan: an audit does not pay for the planner and its renderers.
      const { planCommand } = require("./plan/command") as typeof import("./plan/command");
      return await planCommand({
        io,
        values,
        positionals,
        loadConfig: () => loadConfig(values.config, values.now, io),
        gather: () => gather(values, positionals, io),
        summarize: (gathered, findings) => summarize(gathered, findings, 0),
        tool: TOOL_NAME,
        version: version(),
        ...(values.now !== undefined ? { now: values.now } : {}),
      });
    }
    throw new UsageError(`unknown command "${command}". Commands are: audit, inventory, plan`);
  } catch (error) {
    const usage =
      command === "audit"
        ? "mailflow-guard audit --help"
        : command === "inventory"
          ? "mailflow-guard inventory --help"
          : command === "plan"
            ? "mailflow-guard plan --help"
            : "mailflow-guard --help";
    if (error instanceof UsageError || error instanceof InputError || error instanceof ConfigError || error instanceof PackConfigError) {
      io.stderr(`mailflow-guard: error: ${error.message}\nSee "${usage}".\n`);
    } else {
      io.stderr(
        `mailflow-guard: error: ${(error as Error)?.message ?? String(error)}\nThis is a bug in mailflow-guard; see "${usage}" for usage.\n`,
      );
    }
    return 2;
  }
}

if (require.main === module) {
  run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    stderrIsTty: process.stderr.isTTY === true,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mailflow-guard: error: ${String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
