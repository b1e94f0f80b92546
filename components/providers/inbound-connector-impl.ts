import type * as pulumi from "@pulumi/pulumi";
import { normalizeAddressSpace } from "../../policy/src/engine/domain";
import { evaluate } from "../../policy/src/engine/evaluate";
import { describe } from "../../policy/src/engine/findings";
import { INBOUND_CONNECTOR_TYPE, inventoryFromPulumiResources } from "../../policy/src/sources/pulumi";
import {
  ExchangeOnlineClient,
  ExchangeOnlineError,
  isObjectNotFoundError,
  MsalCertificateTokenProvider,
  type NewInboundConnectorParameters,
  StaticTokenProvider,
} from "../exo/client";
import { type ExchangeOnlineConnection, ExchangeOnlineConnectionSchema } from "./connection";

/**
 * CRUD for an Exchange Online inbound connector over the admin REST endpoint. Loaded by the
 * dynamic provider at run time (see inbound-connector.ts) so that only plain data is serialized.
 */

export interface InboundConnectorInputs {
  tenant: string;
  acceptedDomains: string[];
  name: string;
  connectorType: "OnPremises" | "Partner";
  tlsSenderCertificateName?: string;
  senderIPAddresses: string[];
  senderDomains: string[];
  requireTls: boolean;
  restrictDomainsToCertificate: boolean;
  restrictDomainsToIPAddresses: boolean;
  treatMessagesAsInternal: boolean;
  cloudServicesMailEnabled: boolean;
  addOnService?: string;
  certificateThumbprint?: string;
  /** Who manages the connector ("<project>/<stack>"); written into Comment so delete touches only its own. */
  owner: string;
  /**
   * Take over an existing connector of this name that nobody manages yet (a brownfield migration,
   * `mailflow-guard plan`): create updates it in place and marks it as this stack's.
   */
  adopt?: boolean;
  connection: unknown;
}

export interface InboundConnectorOutputs extends InboundConnectorInputs {
  identity: string;
  guid: string;
}

/** The settings that are compared, sent and refreshed, with the cmdlet parameter for each. */
const PARAMETERS = {
  connectorType: "ConnectorType",
  tlsSenderCertificateName: "TlsSenderCertificateName",
  senderIPAddresses: "SenderIPAddresses",
  senderDomains: "SenderDomains",
  requireTls: "RequireTls",
  restrictDomainsToCertificate: "RestrictDomainsToCertificate",
  restrictDomainsToIPAddresses: "RestrictDomainsToIPAddresses",
  treatMessagesAsInternal: "TreatMessagesAsInternal",
  cloudServicesMailEnabled: "CloudServicesMailEnabled",
} as const satisfies Partial<Record<keyof InboundConnectorInputs, string>>;
type Setting = keyof typeof PARAMETERS;
const SETTINGS = Object.keys(PARAMETERS) as Setting[];

export function comment(owner: string): string {
  return `Managed by mailflow-guard for ${owner}. Changes made here are reverted by the next pulumi up.`;
}

function client(inputs: Pick<InboundConnectorInputs, "connection" | "tenant">): ExchangeOnlineClient {
  const parsed = ExchangeOnlineConnectionSchema.safeParse(inputs.connection);
  if (!parsed.success) {
    // Never echo the connection object: it holds credentials.
    throw new Error(
      `Invalid exchangeOnline connection settings: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    );
  }
  const connection: ExchangeOnlineConnection = parsed.data;
  const auth = connection.app
    ? new MsalCertificateTokenProvider({
        tenantId: connection.app.tenantId ?? inputs.tenant,
        clientId: connection.app.clientId,
        certificatePem: connection.app.certificatePem,
        privateKeyPem: connection.app.privateKeyPem,
        ...(connection.app.authorityHost ? { authorityHost: connection.app.authorityHost } : {}),
        scope: `${new URL(connection.endpoint).origin}/.default`,
      })
    : new StaticTokenProvider(connection.token as string);
  return new ExchangeOnlineClient({
    endpoint: connection.endpoint,
    tenant: inputs.tenant,
    auth,
    maxRetries: connection.maxRetries,
    retryBudgetMs: connection.retryBudgetMs,
  });
}

/** Comparable form of a setting: sender domains as Exchange means them, lists sorted, names lower-case. */
function comparable(setting: Setting, value: unknown): unknown {
  if (value === undefined || value === null || value === "") return setting.startsWith("sender") ? [] : undefined;
  if (setting === "senderDomains") return [...(value as string[])].map(normalizeAddressSpace).sort();
  if (setting === "senderIPAddresses") return [...(value as string[])].map((ip) => ip.trim()).sort();
  if (setting === "tlsSenderCertificateName") return String(value).toLowerCase().replace(/\.$/, "");
  return value;
}

function same(setting: Setting, a: unknown, b: unknown): boolean {
  return JSON.stringify(comparable(setting, a)) === JSON.stringify(comparable(setting, b));
}

function parametersFor(inputs: InboundConnectorInputs, only?: readonly Setting[]): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const setting of only ?? SETTINGS) {
    const value = inputs[setting];
    if (value === undefined) continue;
    if (setting === "connectorType" && only) continue; // ConnectorType is set at creation
    parameters[PARAMETERS[setting]] = value;
  }
  return parameters;
}

/** Live connector JSON (REST or PowerShell) to the provider's own settings. */
export function settingsFromLive(live: Record<string, unknown>): Partial<Record<Setting, unknown>> {
  const settings: Partial<Record<Setting, unknown>> = {};
  for (const setting of SETTINGS) {
    const value = live[PARAMETERS[setting]];
    if (value === undefined || value === null) continue;
    settings[setting] = Array.isArray(value) ? value.map(String) : value;
  }
  return settings;
}

/**
 * Verifies the certificate name against the live tenant's accepted domains: the connector as the
 * pack would read it (the same normalizer), with the tenant's accepted domains from Get-AcceptedDomain
 * instead of the declared ones, judged by the engine's own rule.
 */
async function verifyAcceptedDomain(exo: ExchangeOnlineClient, inputs: InboundConnectorInputs): Promise<void> {
  if (!inputs.tlsSenderCertificateName) return;
  const live = await exo.getAcceptedDomains();
  const acceptedDomains = live.map((domain) => String(domain.DomainName ?? domain.Name));
  const { inventory, problems } = inventoryFromPulumiResources([
    { type: INBOUND_CONNECTOR_TYPE, name: inputs.name, props: { ...inputs, acceptedDomains } },
  ]);
  if (problems.length > 0) throw new Error(`${problems.join("\n")}\n(nothing was created or changed)`);
  // Add-on relays are judged by their own rule, which runs the same accepted-domain check.
  const findings = evaluate(inventory, {}, { only: ["certificate-name-is-accepted-domain", "add-on-relay-per-customer-certificate"] });
  const blocking = findings.filter((finding) => finding.severity === "mandatory");
  if (blocking.length > 0) {
    throw new Error(
      `${blocking.map(describe).join("\n")}\n(checked against the live tenant's Get-AcceptedDomain; nothing was created or changed)`,
    );
  }
}

/**
 * The check a connector pair makes before its on-premises Send Connector is touched: an
 * authenticated read of the tenant (Get-AcceptedDomain) that also judges the certificate name
 * against the live accepted domains. A wrong credential, an unreachable endpoint or a name the
 * tenant does not accept then stops the pair with nothing created on either side.
 */
export async function preflight(inputs: InboundConnectorInputs): Promise<void> {
  const exo = client(inputs);
  if (inputs.tlsSenderCertificateName) await verifyAcceptedDomain(exo, inputs);
  else await exo.getAcceptedDomains();
}

function outputsFrom(
  inputs: InboundConnectorInputs,
  live: { Identity?: unknown; Name?: unknown; Guid?: unknown },
): InboundConnectorOutputs {
  return { ...inputs, identity: String(live.Identity ?? live.Name ?? inputs.name), guid: String(live.Guid ?? "") };
}

export async function create(inputs: InboundConnectorInputs): Promise<pulumi.dynamic.CreateResult> {
  const exo = client(inputs);
  await verifyAcceptedDomain(exo, inputs);
  const existing = await exo.getInboundConnector(inputs.name);
  if (existing) {
    // A create that was interrupted after Exchange applied it: adopt what we made, never duplicate.
    const ours = existing.Comment === comment(inputs.owner);
    if (!ours && !inputs.adopt) {
      throw new Error(
        `Inbound connector "${inputs.name}" already exists in tenant "${inputs.tenant}" and is not managed by ${inputs.owner}. Choose another name, adopt it (mailflow-guard:tenants[].adopt.inboundConnector), or remove the existing connector (Remove-InboundConnector "${inputs.name}") if it is obsolete.`,
      );
    }
    if (!ours && typeof existing.ConnectorType === "string" && existing.ConnectorType !== inputs.connectorType) {
      // Set-InboundConnector cannot change the type in place; adopting would need a replace.
      throw new Error(
        `Inbound connector "${inputs.name}" in tenant "${inputs.tenant}" is of type ${String(existing.ConnectorType)}, not ${inputs.connectorType}; it cannot be adopted. Remove it or adopt another connector.`,
      );
    }
    const changed = SETTINGS.filter((setting) => !same(setting, inputs[setting], settingsFromLive(existing)[setting]));
    // An adopted connector is marked as this stack's in the same call that converges it.
    const marking = ours ? {} : { Comment: comment(inputs.owner) };
    if (changed.length > 0 || !ours)
      await exo.setInboundConnector(existing.Identity || inputs.name, { ...parametersFor(inputs, changed), ...marking });
    return { id: String(existing.Guid || existing.Identity || inputs.name), outs: outputsFrom(inputs, existing) };
  }
  try {
    const live = await exo.newInboundConnector({
      Name: inputs.name,
      Comment: comment(inputs.owner),
      ...(parametersFor(inputs) as Omit<NewInboundConnectorParameters, "Name" | "Comment">),
    });
    return { id: String(live.Guid || live.Identity || inputs.name), outs: outputsFrom(inputs, live) };
  } catch (error) {
    // A retry after a 5xx that Exchange had in fact applied answers "already exists": adopt ours.
    if (!(error instanceof ExchangeOnlineError && error.possiblyApplied)) throw error;
    const live = await exo.getInboundConnector(inputs.name);
    if (!live || live.Comment !== comment(inputs.owner)) throw error;
    return { id: String(live.Guid || live.Identity || inputs.name), outs: outputsFrom(inputs, live) };
  }
}

export async function diff(_id: string, olds: InboundConnectorOutputs, news: InboundConnectorInputs): Promise<pulumi.dynamic.DiffResult> {
  const replaces = (["tenant", "name", "connectorType"] as const).filter(
    (key) => String(olds[key]).toLowerCase() !== String(news[key]).toLowerCase(),
  );
  const changed = SETTINGS.filter((setting) => !same(setting, olds[setting], news[setting]));
  // `adopt` only matters to create: taking the connector over once is not a later change.
  const other = (["acceptedDomains", "owner", "addOnService", "certificateThumbprint"] as const).filter(
    (key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null),
  );
  const connectionChanged = JSON.stringify(olds.connection) !== JSON.stringify(news.connection);
  const changes = [...new Set<string>([...replaces, ...changed, ...other, ...(connectionChanged ? ["connection"] : [])])];
  return {
    changes: changes.length > 0,
    replaces: [...replaces],
    // Same name in the same tenant cannot exist twice: delete first when only the type changes.
    deleteBeforeReplace: replaces.length > 0 && !replaces.includes("name") && !replaces.includes("tenant"),
  };
}

export async function update(
  _id: string,
  olds: InboundConnectorOutputs,
  news: InboundConnectorInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  const exo = client(news);
  const changed = SETTINGS.filter((setting) => !same(setting, olds[setting], news[setting]));
  if (changed.includes("tlsSenderCertificateName")) await verifyAcceptedDomain(exo, news);
  if (changed.length > 0) await exo.setInboundConnector(olds.identity || olds.name, parametersFor(news, changed));
  return { outs: { ...olds, ...news, identity: olds.identity, guid: olds.guid } };
}

export async function read(id: string, props: InboundConnectorOutputs): Promise<pulumi.dynamic.ReadResult> {
  const exo = client(props);
  const live = await exo.getInboundConnector(props.identity || props.name);
  if (!live) return { id: "", props: {} }; // deleted out of band: refresh drops it from state
  // Keep the recorded form where the live value means the same ("smtp:*;1" is "*"): only real drift shows.
  const current = settingsFromLive(live);
  const drifted = Object.fromEntries(
    SETTINGS.filter((setting) => !same(setting, props[setting], current[setting])).map((setting) => [setting, current[setting]]),
  );
  return { id, props: { ...props, ...drifted } };
}

export async function remove(_id: string, props: InboundConnectorOutputs): Promise<void> {
  const exo = client(props);
  const live = await exo.getInboundConnector(props.identity || props.name);
  if (!live) return;
  if (live.Comment !== comment(props.owner)) {
    // Someone else's connector with this name now: leave it alone.
    throw new Error(
      `Inbound connector "${props.name}" in tenant "${props.tenant}" is no longer marked as managed by ${props.owner} (its Comment changed); not deleting it. Remove it by hand if intended, then run 'pulumi state delete'.`,
    );
  }
  try {
    await exo.removeInboundConnector(props.identity || props.name);
  } catch (error) {
    // "Couldn't be found" on a delete is the state a delete wants: a retry after an attempt that
    // Exchange applied (500, lost answer) finds it gone, as a retried create adopts.
    if (!isObjectNotFoundError(error)) throw error;
  }
}
