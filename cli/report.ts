import type * as Sarif from "sarif";
import { type Finding, type Inventory, type ResourceRef, type Rule, rules as registry } from "../policy/src/engine";
import { findingLocations, findingTenants } from "./exports/tenants";
import { printable } from "./exports/printable";
import { formatLiveSummary, type LiveSummary } from "./live/summary";

export const TOOL_NAME = "mailflow-guard";

export interface Summary {
  readonly filesRead: number;
  readonly inputsNotRead: readonly { readonly input: string; readonly reason: string }[];
  readonly tenants: number;
  readonly inboundConnectors: number;
  readonly sendConnectors: number;
  readonly certificates: number;
  /** Certificates the files hold that no send connector presents (not on a tenant's mail-flow path). */
  readonly certificatesNotOnPath?: number;
  /** Tenants some of whose inputs were not read: never reported as "No findings". */
  readonly tenantsNotFullyRead?: readonly string[];
  /** Send connectors left out: they route to no tenant and not to Exchange Online. */
  readonly sendConnectorsSkipped: number;
  /** What was read and left out on purpose (those send connectors), each with the reason. */
  readonly skippedOnPurpose: readonly { readonly input: string; readonly reason: string }[];
  readonly findings: { readonly mandatory: number; readonly advisory: number; readonly total: number };
  readonly problems: number;
  readonly exitCode: number;
  /** Tenants read live: how many, how fast, requests and retries (cli/live/summary.ts). */
  readonly live?: LiveSummary;
}

/** The stable JSON schema of `audit --format json`. */
export interface AuditReport {
  readonly tool: typeof TOOL_NAME;
  readonly version: string;
  readonly summary: Summary;
  readonly findings: readonly Finding[];
  readonly problems: readonly string[];
}

export function countFindings(findings: readonly Finding[]): Summary["findings"] {
  const mandatory = findings.filter((f) => f.severity === "mandatory").length;
  return { mandatory, advisory: findings.length - mandatory, total: findings.length };
}

/** The group of findings that belong to no single tenant. */
export const ACROSS = "(no single tenant)";

/** Headings of the text report's closing sections; the HTML report uses the same words. */
export const SECTION = {
  noFindings: "No findings",
  problems: "Input problems (not audited)",
  skipped: "Skipped on purpose (not on a tenant's mail-flow path)",
  notRead: "Not read",
} as const;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function resourceLabel(ref: ResourceRef): string {
  const kind = { tenant: "tenant", inboundConnector: "inbound connector", sendConnector: "send connector", certificate: "certificate" }[
    ref.kind
  ];
  return `${kind} "${ref.name}"`;
}

/** The tenant a finding belongs to: its own, or the tenant of the inbound connector it names. */
export function findingTenant(finding: Finding, inventory: Inventory): string | undefined {
  if (finding.tenant) return finding.tenant;
  if (finding.resource.kind === "tenant") return finding.resource.name;
  if (finding.resource.kind === "inboundConnector") {
    const match = inventory.inboundConnectors.find((c) => c.ref.name === finding.resource.name && c.ref.source === finding.resource.source);
    return match?.tenant;
  }
  if (finding.resource.kind === "sendConnector") {
    const match = inventory.sendConnectors.find((c) => c.ref.name === finding.resource.name && c.ref.source === finding.resource.source);
    if (match?.tenants.length === 1) return match.tenants[0];
  }
  return undefined;
}

export function summaryLine(summary: Summary): string {
  const notRead = summary.inputsNotRead.length;
  return [
    `Read ${plural(summary.filesRead, "file")}`,
    `${plural(summary.tenants, "tenant")}`,
    `${plural(summary.inboundConnectors, "inbound connector")}`,
    `${plural(summary.sendConnectors, "send connector")}`,
    summary.certificatesNotOnPath
      ? `${plural(summary.certificates + summary.certificatesNotOnPath, "certificate")} (${summary.certificatesNotOnPath} not presented by any send connector)`
      : `${plural(summary.certificates, "certificate")}`,
  ]
    .join(", ")
    .concat(
      `; findings: ${summary.findings.mandatory} mandatory, ${summary.findings.advisory} advisory`,
      summary.sendConnectorsSkipped > 0 ? `; skipped on purpose: ${plural(summary.sendConnectorsSkipped, "send connector")}` : "",
      notRead > 0 || summary.problems > 0 ? `; NOT read: ${plural(notRead, "input")}, ${plural(summary.problems, "input problem")}` : "",
      summary.live ? `; ${formatLiveSummary(summary.live)}` : "",
      ".",
    );
}

/** Text for people: grouped by tenant, worst tenant first, each finding with its fix. */
export function formatText(report: AuditReport, inventory: Inventory): string {
  const groups = new Map<string, Finding[]>();
  // A finding between tenants is listed under each tenant it involves.
  for (const finding of report.findings) {
    const tenants = findingTenants(finding, inventory);
    for (const tenant of tenants.length > 0 ? tenants : [ACROSS]) {
      const list = groups.get(tenant);
      if (list) list.push(finding);
      else groups.set(tenant, [finding]);
    }
  }
  const partly = new Set(report.summary.tenantsNotFullyRead ?? []);
  const disabled = new Set(inventory.inboundConnectors.filter((c) => !c.enabled).map((c) => `${c.ref.name}\u0000${c.ref.source ?? ""}`));
  const label = (ref: ResourceRef) =>
    `${resourceLabel(ref)}${ref.kind === "inboundConnector" && disabled.has(`${ref.name}\u0000${ref.source ?? ""}`) ? " (disabled)" : ""}`;
  const score = (findings: readonly Finding[]) => countFindings(findings);
  const ordered = [...groups.entries()].sort(([ta, a], [tb, b]) => {
    const sa = score(a);
    const sb = score(b);
    return sb.mandatory - sa.mandatory || sb.advisory - sa.advisory || ta.localeCompare(tb);
  });
  const lines: string[] = [];
  for (const [tenant, findings] of ordered) {
    const counts = score(findings);
    lines.push(
      `${tenant}  (${counts.mandatory} mandatory, ${counts.advisory} advisory)${partly.has(tenant) ? "  - not all of its inputs were read, see below" : ""}`,
    );
    for (const finding of findings) {
      // Under each tenant, the resource of that tenant the finding names (its own connector or certificate).
      const own = findingLocations(finding, inventory).find((l) => l.tenant === tenant)?.resource ?? finding.resource;
      lines.push(`  ${finding.severity.toUpperCase().padEnd(9)}  ${finding.ruleId}  ${label(own)}`);
      if (own.source) lines.push(`    in:  ${own.source}`);
      const others = findingTenants(finding, inventory).filter((t) => t !== tenant);
      if (others.length > 0) lines.push(`    also listed under: ${others.join(", ")}`);
      lines.push(`    ${finding.message}`);
      lines.push(`    Fix: ${finding.remediation}`);
    }
    lines.push("");
  }
  const withoutFindings = inventory.tenants.map((t) => t.name).filter((name) => !groups.has(name));
  // "No findings" is said only of a tenant whose inputs were all read.
  const clean = withoutFindings.filter((name) => !partly.has(name));
  const unsure = withoutFindings.filter((name) => partly.has(name));
  if (clean.length > 0) lines.push(`${SECTION.noFindings}: ${clean.sort().join(", ")}`, "");
  if (unsure.length > 0)
    lines.push(`No findings in what was read, but not all inputs were read (see below): ${unsure.sort().join(", ")}`, "");
  if (report.problems.length > 0) {
    lines.push(`${SECTION.problems}:`);
    for (const problem of report.problems) lines.push(`  ${problem}`);
    lines.push("");
  }
  if (report.summary.skippedOnPurpose.length > 0) {
    lines.push(`${SECTION.skipped}:`);
    for (const { input, reason } of report.summary.skippedOnPurpose) lines.push(`  ${input}: ${reason}`);
    lines.push("");
  }
  // An input whose problem above says exactly the same is not named a second time; a file of an
  // export folder that was not read is listed here with why, beside the fuller problem above.
  const notRead = report.summary.inputsNotRead.filter(({ input, reason }) => !report.problems.includes(`${input}: ${reason}`));
  if (notRead.length > 0) {
    lines.push(`${SECTION.notRead}:`);
    for (const { input, reason } of notRead) lines.push(`  ${input}: ${reason}`);
    lines.push("");
  }
  lines.push(summaryLine(report.summary));
  // Every value printed (names, paths, messages) with its control characters made visible.
  return `${lines.map(printable).join("\n")}\n`;
}

/** JSON; with the inventory, each finding carries the tenants it involves and a location per tenant. */
export function formatJson(report: AuditReport, inventory?: Inventory): string {
  const out = inventory
    ? {
        ...report,
        findings: report.findings.map((f) => ({ ...f, tenants: findingTenants(f, inventory), locations: findingLocations(f, inventory) })),
      }
    : report;
  return `${JSON.stringify(out, null, 2)}\n`;
}

const LEVEL = { mandatory: "error", advisory: "warning" } as const;

/** A file path as a SARIF artifact URI (relative reference, forward slashes, percent-encoded). */
function artifactUri(source: string): string | undefined {
  if (source.startsWith("live:")) return undefined;
  return source
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

function location(ref: ResourceRef, tenant: string | undefined): Sarif.Location {
  const uri = ref.source ? artifactUri(ref.source) : undefined;
  return {
    ...(uri ? { physicalLocation: { artifactLocation: { uri } } } : {}),
    logicalLocations: [
      {
        name: ref.name,
        kind: "resource",
        fullyQualifiedName: ref.urn ?? (tenant ? `${tenant}/${ref.kind}/${ref.name}` : `${ref.kind}/${ref.name}`),
      },
    ],
  };
}

/** SARIF 2.1.0 for code-scanning dashboards: one run, the rule registry as tool.driver.rules. */
export function formatSarif(report: AuditReport, inventory: Inventory, ruleSet: readonly Rule[] = registry): string {
  const index = new Map(ruleSet.map((rule, i) => [rule.id, i]));
  const log: Sarif.Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: report.version,
            rules: ruleSet.map((rule) => ({
              id: rule.id,
              shortDescription: { text: rule.description },
              defaultConfiguration: { level: LEVEL[rule.defaultSeverity] },
              properties: { source: rule.source },
            })),
          },
        },
        ...(report.summary.live ? { properties: { live: report.summary.live } } : {}),
        invocations: [
          {
            executionSuccessful: report.problems.length === 0,
            exitCode: report.summary.exitCode,
            toolExecutionNotifications: report.problems.map((problem) => ({ level: "error", message: { text: problem } })),
          },
        ],
        results: report.findings.map((finding) => {
          const tenant = findingTenant(finding, inventory);
          const perTenant = findingLocations(finding, inventory);
          const ruleIndex = index.get(finding.ruleId);
          return {
            ruleId: finding.ruleId,
            ...(ruleIndex === undefined ? {} : { ruleIndex }),
            level: LEVEL[finding.severity],
            message: { text: `${finding.message} Fix: ${finding.remediation}` },
            // One location per tenant the finding involves (a shared IP is a defect of each tenant).
            locations: perTenant.length > 1 ? perTenant.map((l) => location(l.resource, l.tenant)) : [location(finding.resource, tenant)],
            ...(finding.related && finding.related.length > 0
              ? { relatedLocations: finding.related.map((ref, i) => ({ id: i + 1, ...location(ref, undefined) })) }
              : {}),
            properties: {
              severity: finding.severity,
              ...(tenant ? { tenant } : {}),
              ...(perTenant.length > 1 ? { tenants: perTenant.map((l) => l.tenant) } : {}),
            },
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
