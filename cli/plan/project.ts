import { DEFAULT_CLOUD } from "../../policy/src/engine/clouds";
import { DEFAULT_POWERSHELL_COMMAND } from "../../components/onprem/runner";
import type { MigrationPlan, TenantPlan } from "./planner";
import { y, yList } from "./render";

/**
 * The Pulumi project `mailflow-guard plan` writes: a Pulumi YAML program with one
 * TenantConnectorPair per tenant (served by the package's provider plugin), its stack config and
 * a package.json that brings the package, so a user who installed mailflow-guard from npm can
 * gate and apply the plan from that folder alone. Existing connectors are adopted with Pulumi's
 * own import (the components' `adopt`), so the gated preview says "import", not "create".
 */

/** The folder under the plan's output that holds the project. */
export const PROJECT_DIR = "project";
/** The project's name: with the stack, what the connectors' Comment says manages them. */
export const PROJECT_NAME = "mailflow-migration";

/** `<project>/<stack>` of the plan's project, as the providers write it into a connector's Comment. */
export function projectOwner(stack: string): string {
  return `${PROJECT_NAME}/${stack}`;
}

/** A YAML resource name for a tenant: its initial domain's first label, made unique. */
function resourceNames(tenants: readonly TenantPlan[]): Map<TenantPlan, string> {
  const names = new Map<TenantPlan, string>();
  const used = new Set<string>();
  for (const t of tenants) {
    const base = (t.tenant.split(".")[0] ?? "tenant").replace(/[^A-Za-z0-9-]/g, "-") || "tenant";
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    names.set(t, name);
  }
  return names;
}

/** A Pulumi YAML interpolation: a stack config value (${mailflow:token}) or a resource output. */
function reference(key: string): string {
  return ["${", key, "}"].join("");
}

/** An existing connector is imported under its current name; the update that follows renames it when the plan does. */
function adoption(connector: TenantPlan["send"] | TenantPlan["inbound"]): string[] {
  if (!connector.adopt) return [];
  const current = connector.current?.name;
  return ["        adopt: true", ...(current !== undefined && current !== connector.name ? [`        currentName: ${y(current)}`] : [])];
}

function pairResource(plan: MigrationPlan, t: TenantPlan, name: string): string[] {
  return [
    `  ${name}:`,
    "    type: mailflow:exchange:TenantConnectorPair",
    "    properties:",
    "      tenant:",
    `        name: ${y(t.tenant)}`,
    `        acceptedDomains: ${yList(t.acceptedDomains)}`,
    "      certificate:",
    "        pem:",
    `          fn::readFile: ${y(`./${t.certificate.file}`)}`,
    `      certificateName: ${y(t.certificateName)}`,
    "      sendConnector:",
    `        name: ${y(t.send.name)}`,
    `        sourceTransportServers: ${yList(plan.sourceTransportServers)}`,
    ...adoption(t.send),
    "      inboundConnector:",
    `        name: ${y(t.inbound.name)}`,
    ...adoption(t.inbound),
    "      exchangeOnline:",
    `        endpoint: ${reference("mailflow:endpoint")}`,
    `        token: ${reference("mailflow:token")}`,
    "      onPremises:",
    `        shell: ${reference("mailflow:onPremisesShell")}`,
    ...(plan.cloud === DEFAULT_CLOUD ? [] : [`      cloud: ${plan.cloud}`]),
  ];
}

/** Pulumi.yaml: the program. */
export function renderProgram(plan: MigrationPlan, header: string): string {
  const names = resourceNames(plan.tenants);
  const adopted = plan.tenants.flatMap((t) => [...(t.inbound.adopt ? [t.inbound.name] : []), ...(t.send.adopt ? [t.send.name] : [])]);
  return `${[
    `# ${header}`,
    "# The healthy target: one certificate, one Send Connector and one certificate-based OnPremises",
    "# inbound connector per tenant. `adopt: true` imports the existing connector (by `currentName` where",
    `# the plan renames it; ${adopted.length} of them), and the same update changes what differs.`,
    `name: ${PROJECT_NAME}`,
    "runtime: yaml",
    "description: The mail-flow migration mailflow-guard plan wrote (MC1226222)",
    "plugins:",
    "  providers:",
    "    - name: mailflow",
    "      path: node_modules/mailflow-guard/plugin",
    "resources:",
    ...plan.tenants.flatMap((t) => pairResource(plan, t, names.get(t) as string)),
    "outputs:",
    ...plan.tenants.map((t) => `  ${names.get(t)}Thumbprint: ${reference(`${names.get(t)}.certificateThumbprint`)}`),
  ].join("\n")}\n`;
}

/** Pulumi.<stack>.yaml: where Exchange is; the token is set by the person who applies it, as a secret. */
export function renderProjectStackConfig(plan: MigrationPlan, header: string): string {
  return `${[
    `# ${header}`,
    "# Set the Exchange Online token as a secret before the first preview:",
    "#   pulumi config set --secret mailflow:token <token>",
    "# mailflow:onPremisesShell runs the Exchange Management Shell scripts (change it for remoting).",
    "config:",
    `  mailflow:endpoint: ${y(plan.exchangeOnlineEndpoint)}`,
    `  mailflow:onPremisesShell: ${yList(DEFAULT_POWERSHELL_COMMAND)}`,
  ].join("\n")}\n`;
}

/** package.json: `npm install` in the project brings the package, its plugin and the SDK it runs on. */
export function renderProjectPackage(version: string): string {
  return `${JSON.stringify({ name: PROJECT_NAME, private: true, dependencies: { "mailflow-guard": version } }, null, 2)}\n`;
}

/** The project's files, by path under the plan's output folder. */
export function renderProject(plan: MigrationPlan, meta: { header: string; version: string }): [string, string][] {
  return [
    [`${PROJECT_DIR}/Pulumi.yaml`, renderProgram(plan, meta.header)],
    [`${PROJECT_DIR}/Pulumi.${plan.stack}.yaml`, renderProjectStackConfig(plan, meta.header)],
    [`${PROJECT_DIR}/package.json`, renderProjectPackage(meta.version)],
  ];
}
