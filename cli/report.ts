import type * as Sarif from "sarif";
import { type Finding, type Inventory, type ResourceRef, type Rule, rules as registry } from "../policy/src/engine";

export const TOOL_NAME = "mailflow-guard";

export interface Summary {
  readonly filesRead: number;
  readonly inputsNotRead: readonly { readonly input: string; readonly reason: string }[];
  readonly tenants: number;
  readonly inboundConnectors: number;
  readonly sendConnectors: number;
  readonly certificates: number;
  /** Send connectors left out: they route to no tenant and not to Exchange Online. */
  readonly sendConnectorsSkipped: number;
  /** What was read and left out on purpose (those send connectors), each with the reason. */
  readonly skippedOnPurpose: readonly { readonly input: string; readonly reason: string }[];
  readonly findings: { readonly mandatory: number; readonly advisory: number; readonly total: number };
  readonly problems: number;
  readonly exitCode: number;
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

const ACROSS = "(no single tenant)";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function resourceLabel(ref: ResourceRef): string {
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
    `${plural(summary.certificates, "certificate")}`,
  ]
    .join(", ")
    .concat(
      `; findings: ${summary.findings.mandatory} mandatory, ${summary.findings.advisory} advisory`,
      summary.sendConnectorsSkipped > 0 ? `; skipped on purpose: ${plural(summary.sendConnectorsSkipped, "send connector")}` : "",
      notRead > 0 || summary.problems > 0 ? `; NOT read: ${plural(notRead, "input")}, ${plural(summary.problems, "input problem")}` : "",
      ".",
    );
}

/** Text for people: grouped by tenant, worst tenant first, each finding with its fix. */
export function formatText(report: AuditReport, inventory: Inventory): string {
  const groups = new Map<string, Finding[]>();
  for (const finding of report.findings) {
    const tenant = findingTenant(finding, inventory) ?? ACROSS;
    groups.set(tenant, [...(groups.get(tenant) ?? []), finding]);
  }
  const score = (findings: readonly Finding[]) => countFindings(findings);
  const ordered = [...groups.entries()].sort(([ta, a], [tb, b]) => {
    const sa = score(a);
    const sb = score(b);
    return sb.mandatory - sa.mandatory || sb.advisory - sa.advisory || ta.localeCompare(tb);
  });
  const lines: string[] = [];
  for (const [tenant, findings] of ordered) {
    const counts = score(findings);
    lines.push(`${tenant}  (${counts.mandatory} mandatory, ${counts.advisory} advisory)`);
    for (const finding of findings) {
      lines.push(`  ${finding.severity.toUpperCase().padEnd(9)}  ${finding.ruleId}  ${resourceLabel(finding.resource)}`);
      if (finding.resource.source) lines.push(`    in:  ${finding.resource.source}`);
      lines.push(`    ${finding.message}`);
      lines.push(`    Fix: ${finding.remediation}`);
    }
    lines.push("");
  }
  const clean = inventory.tenants.map((t) => t.name).filter((name) => !groups.has(name));
  if (clean.length > 0) lines.push(`No findings: ${clean.sort().join(", ")}`, "");
  if (report.problems.length > 0) {
    lines.push("Input problems (not audited):");
    for (const problem of report.problems) lines.push(`  ${problem}`);
    lines.push("");
  }
  if (report.summary.skippedOnPurpose.length > 0) {
    lines.push("Skipped on purpose (not on a tenant's mail-flow path):");
    for (const { input, reason } of report.summary.skippedOnPurpose) lines.push(`  ${input}: ${reason}`);
    lines.push("");
  }
  // An input whose problem is listed above is not named a second time.
  const notRead = report.summary.inputsNotRead.filter(({ input }) => !report.problems.some((p) => p.startsWith(`${input}: `)));
  if (notRead.length > 0) {
    lines.push("Not read:");
    for (const { input, reason } of notRead) lines.push(`  ${input}: ${reason}`);
    lines.push("");
  }
  lines.push(summaryLine(report.summary));
  return `${lines.join("\n")}\n`;
}

export function formatJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
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
        invocations: [
          {
            executionSuccessful: report.problems.length === 0,
            exitCode: report.summary.exitCode,
            toolExecutionNotifications: report.problems.map((problem) => ({ level: "error", message: { text: problem } })),
          },
        ],
        results: report.findings.map((finding) => {
          const tenant = findingTenant(finding, inventory);
          const ruleIndex = index.get(finding.ruleId);
          return {
            ruleId: finding.ruleId,
            ...(ruleIndex === undefined ? {} : { ruleIndex }),
            level: LEVEL[finding.severity],
            message: { text: `${finding.message} Fix: ${finding.remediation}` },
            locations: [location(finding.resource, tenant)],
            ...(finding.related && finding.related.length > 0
              ? { relatedLocations: finding.related.map((ref, i) => ({ id: i + 1, ...location(ref, undefined) })) }
              : {}),
            properties: { severity: finding.severity, ...(tenant ? { tenant } : {}) },
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
