import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { makeCertificatePem } from "../test/support/certs";
import { PLUGIN_REFERENCE } from "../test/support/packed";
import { policyPackAt } from "../test/support/policy-pack";
import type { Estate, GenTenant } from "./generate";
import { type ProcResult, run, tail } from "./proc";

export const ROOT = resolve(__dirname, "..", "..");
export const POLICY_PACK = join(ROOT, "policy");
const DAY = 86_400_000;
const PROGRAM = join(ROOT, "dist", "examples", "connectors-by-hand", "index.js");

/**
 * `pulumi preview` of a generated stack, through the real CLI: the example program
 * examples/connectors-by-hand (connectors as custom resources, one certificate PEM per tenant) fed a
 * scenario of N tenants. The project folder is a throw-away copy outside the checkout (Pulumi.yaml
 * and a package.json pointing at the compiled program), with its own file backend.
 */

function scenarioResources(estate: Estate, pems: readonly string[]) {
  const resources: unknown[] = [];
  for (const t of estate.tenants) {
    const certificate = pems[t.certificateOf] as string;
    resources.push({
      kind: "SendConnector",
      name: `${t.prefix}-send`,
      props: {
        name: `Outbound to ${t.name}`,
        tenants: [t.name],
        addressSpaces: [`${t.prefix}.mail.onmicrosoft.com`],
        smartHosts: [`${t.prefix}.mail.protection.outlook.com`],
        dnsRoutingEnabled: false,
        requireTls: true,
        tlsAuthLevel: "DomainValidation",
        tlsDomain: "mail.protection.outlook.com",
        cloudServicesMailEnabled: true,
        sourceTransportServers: ["EX01"],
        fqdn: t.relay,
        certificateFile: certificate,
      },
    });
    resources.push(inbound(t));
    if (t.partner) {
      resources.push({
        kind: "InboundConnector",
        name: `${t.prefix}-partner`,
        props: {
          tenant: t.name,
          acceptedDomains: t.acceptedDomains,
          name: `Partner mail for ${t.prefix}`,
          connectorType: "Partner",
          senderIPAddresses: [],
          senderDomains: [`partner.${t.prefix}.org`],
          requireTls: true,
          restrictDomainsToCertificate: false,
          restrictDomainsToIPAddresses: false,
          treatMessagesAsInternal: false,
          cloudServicesMailEnabled: false,
        },
      });
    }
  }
  return resources;
}

function inbound(t: GenTenant) {
  const ipAuth = t.senderIPs.length > 0;
  return {
    kind: "InboundConnector",
    name: `${t.prefix}-inbound`,
    props: {
      tenant: t.name,
      acceptedDomains: t.acceptedDomains,
      name: `Inbound from on-premises (${ipAuth ? t.senderIPs[0] : t.relay})`,
      connectorType: "OnPremises",
      ...(ipAuth ? {} : { tlsSenderCertificateName: t.relay }),
      senderIPAddresses: t.senderIPs,
      senderDomains: ["*"],
      requireTls: true,
      restrictDomainsToCertificate: false,
      restrictDomainsToIPAddresses: false,
      treatMessagesAsInternal: false,
      cloudServicesMailEnabled: true,
    },
  };
}

export interface PreviewStack {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly resources: number;
}

/** Writes a PEM per certificate and the scenario file (connectors-by-hand's input) under `work`. */
export function writeScenario(estate: Estate, work: string): { scenario: string; resources: number } {
  mkdirSync(work, { recursive: true });
  const certDir = join(work, "certs");
  mkdirSync(certDir, { recursive: true });
  const pems = estate.certificates.map((certificate, i) => {
    const file = join(certDir, `${i}.pem`);
    if (!existsSync(file)) {
      const pem = makeCertificatePem({
        dnsNames: certificate.dnsNames,
        organization: certificate.ref.name,
        // The pack judges validity by the real clock: valid from a month ago, the estate's "expiring"
        // certificates inside the 60-day warning window (advisory), the others for a year.
        notBefore: new Date(Date.now() - 30 * DAY),
        notAfter: new Date(Date.now() + (Date.parse(certificate.notAfter) < Date.parse("2027-01-01") ? 30 : 365) * DAY),
        serial: i + 1,
        issuerCommonName: "Bench Issuing CA",
      });
      writeFileSync(file, pem);
    }
    return file;
  });
  const resources = scenarioResources(estate, pems);
  const scenario = join(work, "scenario.json");
  writeFileSync(scenario, JSON.stringify({ description: `bench: ${estate.tenants.length} tenants`, resources }));
  return { scenario, resources: resources.length };
}

/** Offline Pulumi settings for a bench project with its own backend and Pulumi home under `work`. */
export function benchEnv(work: string): NodeJS.ProcessEnv {
  const backend = join(work, "backend");
  mkdirSync(backend, { recursive: true });
  return {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "bench",
    PULUMI_HOME: join(work, ".pulumi-home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    NO_COLOR: "1",
  };
}

/** `pulumi stack init bench` and the scenario in its config, in a project folder. */
export async function initBenchStack(project: string, env: NodeJS.ProcessEnv, scenario: string): Promise<void> {
  const must = async (args: string[]) => {
    const result = await run("pulumi", [...args, "--non-interactive"], { cwd: project, env });
    if (result.code !== 0)
      throw new Error(`pulumi ${args.join(" ")} failed (exit ${result.code}):\n${tail(result.stdout + result.stderr)}`);
  };
  await must(["stack", "init", "bench"]);
  await must(["config", "set", "scenario", scenario]);
}

/** Writes PEMs, the scenario and a project folder; `pulumi stack init` + `config set scenario`. */
export async function preparePreviewStack(estate: Estate, work: string): Promise<PreviewStack> {
  const { scenario, resources } = writeScenario(estate, work);
  const project = join(work, "project");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "Pulumi.yaml"), `name: connectors-by-hand\nruntime: nodejs\n${PLUGIN_REFERENCE}`);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "bench-preview", private: true, main: relative(project, PROGRAM) }));
  if (!existsSync(join(project, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
  const env = benchEnv(work);
  await initBenchStack(project, env, scenario);
  return { dir: project, env, resources };
}

/**
 * What any policy pack costs with this CLI, whatever its policies do: a pack with one policy that
 * checks nothing, on the same runtime and dependencies as ours (starting the analyzer, one Analyze
 * call per resource, one AnalyzeStack call).
 */
export function prepareNoopPack(work: string): string {
  const dir = join(work, "noop-pack");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "noop-pack", version: "0.0.1", main: "index.js" }));
  writeFileSync(
    join(dir, "index.js"),
    'const { PolicyPack } = require("@pulumi/policy");\n' +
      'new PolicyPack("noop", { policies: [{ name: "noop", description: "Checks nothing.", enforcementLevel: "advisory", validateResource: () => {} }] });\n',
  );
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(POLICY_PACK, "node_modules"), join(dir, "node_modules"));
  return dir;
}

export type PreviewVariant = "without" | "noop" | "pack";

export function preview(stack: PreviewStack, variant: PreviewVariant, noopPack: string): Promise<ProcResult> {
  const pack = variant === "without" ? undefined : policyPackAt(variant === "pack" ? POLICY_PACK : noopPack, POLICY_PACK);
  return run("pulumi", ["preview", "--non-interactive", "--diff=false", ...(pack ? ["--policy-pack", pack.arg] : [])], {
    cwd: stack.dir,
    env: { ...stack.env, ...pack?.env },
  });
}
