import { projectOwner } from "./project";
import {
  buildIndex,
  coveringName,
  type EngineConfigInput,
  evaluate,
  type Finding,
  type InboundConnector,
  type Inventory,
  isWildcard,
  normalizeAddressSpace,
  parseInventory,
  presentedNames,
  resolveConfig,
  type SendConnector,
  tenantSmartHost,
} from "../../policy/src/engine";
import { type CloudName, cloudsOfTenant, DEFAULT_CLOUD, mailCloudOf, routingDomainFor, tenantPrefix } from "../../policy/src/engine/clouds";
import { overlappingPairs, senderClaims } from "../../policy/src/engine/rules/sender-ip-not-shared";
import { ownedNames } from "../../policy/src/engine/rules/send-connector-tls";
import { acceptedNameVerdict } from "../../policy/src/engine/rules/shared";

/**
 * `mailflow-guard plan`: from an audited organization to the healthy target (a certificate and a
 * Send Connector of its own per tenant, certificate-based OnPremises connectors), as data. Every
 * judgement about what is wrong comes from the engine (`evaluate`, its index and helpers); this
 * module only decides what the target is and what it takes to get there.
 */

export interface PlanOptions {
  /** Stack name of the root project the config is written for. */
  readonly stack: string;
  /** Admin API endpoint written as mailflow-guard:exchangeOnlineEndpoint. */
  readonly exchangeOnlineEndpoint: string;
  /** The tenants' cloud, written as mailflow-guard:cloud when it is not the default. */
  readonly cloud?: CloudName;
  /** Evaluate as of this date (certificate expiry). */
  readonly now?: Date;
  /** Folder (relative to the project) the certificate files are expected in. */
  readonly certificateDir?: string;
  /** Engine configuration (--config), passed through to evaluate. */
  readonly engineConfig?: EngineConfigInput;
  /**
   * The on-premises transport servers that send to the tenants (--source-server), for a plan from the
   * Exchange Online side alone or to name other servers than the Send Connector export does.
   */
  readonly sourceTransportServers?: readonly string[];
}

/** The option that names the source transport servers, as the refusal quotes it. */
export const SOURCE_SERVER_OPTION = "--source-server";

/** The input cannot support a plan; `message` says what is missing and what to provide. Exit 2. */
export class PlanRefusal extends Error {
  override readonly name = "PlanRefusal";
}

export interface CertificatePlan {
  /** "keep": the tenant's existing dedicated certificate; "request": a new one to request from a CA. */
  readonly kind: "keep" | "request";
  /** Path (relative to the project folder) of the public certificate PEM the stack reads. */
  readonly file: string;
  /** Subject to request, e.g. CN=relay.contoso.com. */
  readonly subject: string;
  /** The one SAN DNS name to request: the certificate name. */
  readonly dnsName: string;
  /** For "keep": the certificate in use. */
  readonly thumbprint?: string;
}

export interface ConnectorPlan<T> {
  /** Connector name in the target: the existing one's, or its new name when its role changes. */
  readonly name: string;
  /** Why the name changes, or why it is kept although the connector's role changes. */
  readonly nameReason?: string;
  /** An existing connector taken over by name. */
  readonly adopt: boolean;
  readonly current?: T;
  /** Settings that change, as "Parameter: before -> after"; empty when nothing changes. */
  readonly changes: readonly string[];
}

export interface TenantPlan {
  readonly tenant: string;
  readonly acceptedDomains: readonly string[];
  readonly certificateName: string;
  /** True when the existing TlsSenderCertificateName is kept. */
  readonly keptName: boolean;
  /** Why this certificate name. */
  readonly reason: string;
  readonly certificate: CertificatePlan;
  readonly inbound: ConnectorPlan<InboundConnector>;
  readonly send: ConnectorPlan<SendConnector>;
  /** Other OnPremises inbound connectors of the tenant, to remove after the cutover. */
  readonly removeInbound: readonly InboundConnector[];
  /**
   * Target Send Connector settings: the existing connector's wherever the engine's send-connector-tls
   * rule accepts them for this tenant alone (HCW's domain-key smart host, DNS routing, certificate
   * validation, its servers), otherwise what a new connector gets.
   */
  readonly target: {
    readonly addressSpaces: readonly string[];
    readonly smartHosts: readonly string[];
    readonly dnsRoutingEnabled: boolean;
    readonly tlsAuthLevel: "DomainValidation" | "CertificateValidation";
    /** TlsDomain a DomainValidation Send Connector validates in the tenant's cloud (kept as is for CertificateValidation). */
    readonly tlsDomain?: string;
    /** The servers that send to this tenant: the connector's own, or every source transport server for a new one. */
    readonly sourceTransportServers: readonly string[];
  };
}

export interface PathAttribution {
  /** The Send Connector (on-premises path), or undefined for a tenant without one. */
  readonly sendConnector?: string;
  readonly sourceTransportServers: readonly string[];
  /** Tenants the path routes to today. */
  readonly routesTo: readonly string[];
  /** Rule ids of the current findings on this path. */
  readonly defects: readonly string[];
  /** Step by step, Exchange Online's order: certificate domain, P1 MAIL FROM, RCPT TO. */
  readonly today: readonly string[];
  /** Tenants that could be credited with this path's mail today. */
  readonly creditedToday: readonly string[];
  /** After the plan: per tenant the path routes to, its own path and the one tenant credited. */
  readonly after: readonly string[];
}

export interface MigrationPlan {
  readonly stack: string;
  readonly exchangeOnlineEndpoint: string;
  readonly cloud: CloudName;
  readonly sourceTransportServers: readonly string[];
  /** On-premises facts the plan assumed because an export was not read (empty when both on-premises exports were). */
  readonly assumptions: readonly string[];
  readonly tenants: readonly TenantPlan[];
  /** Send Connectors on tenant paths that no tenant keeps: removed after the cutover. */
  readonly removeSendConnectors: readonly SendConnector[];
  /** Tenants read but not on an on-premises path (no OnPremises connector, no Send Connector): left alone. */
  readonly untouched: readonly string[];
  /** The current findings (engine), mandatory first. */
  readonly findings: readonly Finding[];
  readonly attribution: readonly PathAttribution[];
  /** Changes to mail flow: certificates to request, connectors to create or change, connectors to remove. */
  readonly changes: number;
}

/** The engine's accepted-name verdict, reduced to its kind. */
function acceptedNameVerdictFor(index: ReturnType<typeof buildIndex>, tenant: string, name: string): string {
  return acceptedNameVerdict(index, tenant, name).kind;
}

/** Per tenant, the other tenants whose sender IPs overlap its own: the engine's sender-ip-not-shared pairs. */
function senderIpOverlaps(inventory: Inventory, engineConfig: EngineConfigInput): Map<string, Set<string>> {
  const peers = new Map<string, Set<string>>();
  for (const [a, b] of overlappingPairs(senderClaims(inventory, resolveConfig(engineConfig)))) {
    if (a.tenant === undefined || b.tenant === undefined || a.tenant === b.tenant) continue;
    peers.set(a.tenant, new Set([...(peers.get(a.tenant) ?? []), b.tenant]));
    peers.set(b.tenant, new Set([...(peers.get(b.tenant) ?? []), a.tenant]));
  }
  return peers;
}

/**
 * Microsoft's own domains of a tenant (initial and routing domains, in any cloud of the engine's
 * table, and the retired Microsoft Cloud Deutschland's): no certificate can carry them.
 */
function isMicrosoftDomain(domain: string): boolean {
  return cloudsOfTenant(domain).length > 0 || /\.onmicrosoft\.de$/.test(domain);
}
/** First labels that say "this name is for a relay" (preferred when proposing a name). */
const RELAY_LABELS = ["relay", "smtp", "mail", "hybrid", "mx"];

/** The component's default inbound connector name (TenantConnectorPair). */
function inboundName(certificateName: string): string {
  return `Inbound from on-premises (${certificateName})`;
}

function label(tenant: string): string {
  return tenantPrefix(tenant, mailCloudOf(tenant));
}

/** HCW's routing domain in the tenant's cloud (the engine's cloud table); worldwide's form for an unknown suffix. */
function routingDomain(tenant: string): string {
  return routingDomainFor(tenant) ?? `${label(tenant)}.${mailCloudOf(tenant).routingSuffix}`;
}

function list(values: Iterable<string>): string {
  return [...values].join(", ") || "none";
}

function sameSet(a: readonly string[], b: readonly string[], normalize: (v: string) => string = (v) => v.toLowerCase()): boolean {
  const x = [...new Set(a.map(normalize))].sort();
  const y = [...new Set(b.map(normalize))].sort();
  return JSON.stringify(x) === JSON.stringify(y);
}

/**
 * Each tenant's own OnPremises path connectors, enabled ones first, those with a certificate name
 * first: grouped once per plan (one pass over the connectors, not one per tenant and comparison).
 */
function onPremisesConnectorsByTenant(inventory: Inventory): Map<string, InboundConnector[]> {
  const byTenant = new Map<string, InboundConnector[]>();
  for (const c of inventory.inboundConnectors) {
    if (c.connectorType !== "OnPremises" || c.addOnService !== undefined) continue;
    byTenant.set(c.tenant, [...(byTenant.get(c.tenant) ?? []), c]);
  }
  for (const connectors of byTenant.values())
    connectors.sort(
      (a, b) =>
        Number(b.enabled) - Number(a.enabled) ||
        Number(b.tlsSenderCertificateName !== undefined) - Number(a.tlsSenderCertificateName !== undefined) ||
        a.name.localeCompare(b.name),
    );
  return byTenant;
}

/**
 * The certificate name for a tenant: its current TlsSenderCertificateName when that is healthy
 * (exactly an accepted domain of this tenant, not a wildcard, and no earlier tenant keeps it);
 * otherwise an accepted domain of this tenant that no other tenant accepts, names or presents.
 */
function chooseName(
  tenant: string,
  current: InboundConnector | undefined,
  inventory: Inventory,
  index: ReturnType<typeof buildIndex>,
  taken: Map<string, string>,
  foreignNames: Map<string, Set<string>>,
): { name: string; kept: boolean; reason: string } {
  const acceptedDomains = index.tenants.get(tenant)?.acceptedDomains ?? [];
  const currentName = current?.tlsSenderCertificateName;
  let why: string;
  if (currentName === undefined) {
    why = current ? `inbound connector "${current.name}" authenticates by IP only` : "the tenant has no OnPremises inbound connector yet";
  } else if (isWildcard(currentName)) {
    why = `the current name "${currentName}" is a wildcard, which covers every subdomain`;
  } else if (acceptedNameVerdictFor(index, tenant, currentName) !== "accepted") {
    why = `the current name "${currentName}" is not an accepted domain of ${tenant}`;
  } else if (taken.has(currentName)) {
    why = `the current name "${currentName}" is kept by ${taken.get(currentName)}`;
  } else {
    // Other tenants whose own connectors name it (sharing only a certificate is fixed by the certificate plan).
    const others = inventory.inboundConnectors
      .filter((c) => c.tenant !== tenant && c.tlsSenderCertificateName === currentName)
      .map((c) => c.tenant)
      .filter((t, i, all) => all.indexOf(t) === i)
      .sort();
    const shared =
      others.length === 0
        ? ""
        : `; ${list(others)}, which also name${others.length === 1 ? "s" : ""} it, get${others.length === 1 ? "s" : ""} a name of ${others.length === 1 ? "its" : "their"} own`;
    return {
      name: currentName,
      kept: true,
      reason: `keeps "${currentName}": an accepted domain of ${tenant}${shared}`,
    };
  }
  const acceptedElsewhere = new Set(inventory.tenants.filter((t) => t.name !== tenant).flatMap((t) => t.acceptedDomains));
  const candidates = acceptedDomains
    .filter((domain) => !isWildcard(domain) && !isMicrosoftDomain(domain))
    .filter((domain) => !acceptedElsewhere.has(domain) && !taken.has(domain))
    .filter((domain) => [...(foreignNames.get(domain) ?? [])].every((t) => t === tenant));
  const rank = (domain: string) => {
    const first = domain.split(".")[0] ?? "";
    const relay = RELAY_LABELS.indexOf(first);
    return relay >= 0 ? relay : RELAY_LABELS.length;
  };
  const best = candidates.sort((a, b) => rank(a) - rank(b) || a.length - b.length || a.localeCompare(b))[0];
  if (best === undefined) {
    throw new PlanRefusal(
      `tenant "${tenant}" has no accepted domain that could carry a certificate name (accepted: ${list([...acceptedDomains].sort())}; ` +
        "the initial .onmicrosoft domain cannot be on a certificate, and a domain another tenant accepts or uses cannot be used). " +
        `Add a domain you own to this tenant (New-AcceptedDomain, e.g. relay.<your domain>), verify it, export Get-AcceptedDomain again and re-run mailflow-guard plan.`,
    );
  }
  return {
    name: best,
    kept: false,
    reason: `proposes "${best}": ${why}; "${best}" is an accepted domain of ${tenant} that no other tenant accepts or uses`,
  };
}

function inboundChanges(current: InboundConnector, name: string): string[] {
  const changes: string[] = [];
  const bool = (param: string, before: boolean, after: boolean) => {
    if (before !== after) changes.push(`${param}: $${before} -> $${after}`);
  };
  if (current.tlsSenderCertificateName !== name)
    changes.push(`TlsSenderCertificateName: ${current.tlsSenderCertificateName ?? "(none)"} -> ${name}`);
  if (current.senderIPAddresses.length > 0) changes.push(`SenderIPAddresses: ${current.senderIPAddresses.join(", ")} -> (none)`);
  // An export without SenderDomains says nothing about them; the component sets "*".
  if (current.senderDomains.length > 0 && !sameSet(current.senderDomains, ["*"], normalizeAddressSpace))
    changes.push(`SenderDomains: ${current.senderDomains.join(", ") || "(none)"} -> *`);
  bool("RequireTls", current.requireTls, true);
  bool("CloudServicesMailEnabled", current.cloudServicesMailEnabled, true);
  bool("TreatMessagesAsInternal", current.treatMessagesAsInternal, false);
  bool("RestrictDomainsToCertificate", current.restrictDomainsToCertificate, false);
  bool("RestrictDomainsToIPAddresses", current.restrictDomainsToIPAddresses, false);
  if (!current.enabled) changes.push("Enabled: $false -> $true");
  return changes;
}

function sendChanges(current: SendConnector, target: TenantPlan["target"], tlsCertificateName: string | undefined): string[] {
  const changes: string[] = [];
  const listChange = (param: string, before: readonly string[], after: readonly string[], normalize?: (v: string) => string) => {
    if (!sameSet(before, after, normalize)) changes.push(`${param}: ${before.join(", ") || "(none)"} -> ${after.join(", ") || "(none)"}`);
  };
  listChange("AddressSpaces", current.addressSpaces, target.addressSpaces, normalizeAddressSpace);
  listChange("SmartHosts", current.smartHosts, target.smartHosts);
  listChange("SourceTransportServers", current.sourceTransportServers, target.sourceTransportServers);
  if (current.dnsRoutingEnabled !== target.dnsRoutingEnabled)
    changes.push(`DNSRoutingEnabled: $${current.dnsRoutingEnabled} -> $${target.dnsRoutingEnabled}`);
  if (!current.requireTls) changes.push("RequireTLS: $false -> $true");
  if (current.tlsAuthLevel !== target.tlsAuthLevel)
    changes.push(`TlsAuthLevel: ${current.tlsAuthLevel ?? "(none)"} -> ${target.tlsAuthLevel}`);
  if (target.tlsAuthLevel === "DomainValidation" && current.tlsDomain !== target.tlsDomain)
    changes.push(`TlsDomain: ${current.tlsDomain ?? "(none)"} -> ${target.tlsDomain}`);
  if (!current.cloudServicesMailEnabled) changes.push("CloudServicesMailEnabled: $false -> $true");
  if (tlsCertificateName === undefined || current.tlsCertificateName !== tlsCertificateName)
    changes.push(`TlsCertificateName: ${current.tlsCertificateName ?? "(none)"} -> ${tlsCertificateName ?? "the new certificate"}`);
  return changes;
}

/**
 * The Send Connector a tenant ends up with: the existing one's values, narrowed to this tenant's own
 * smart hosts and address spaces (the engine's ownership: initial-domain or domain-key hosts, routing or
 * accepted domains), with its TLS settings and servers, when the engine's send-connector-tls rule
 * accepts that for this tenant alone; otherwise what a new connector gets. One rule decides both.
 */
function sendTarget(
  tenant: string,
  current: SendConnector | undefined,
  inventory: Inventory,
  index: ReturnType<typeof buildIndex>,
  servers: readonly string[],
  engineConfig: EngineConfigInput,
): TenantPlan["target"] {
  const cloud = mailCloudOf(tenant);
  const fresh: TenantPlan["target"] = {
    addressSpaces: [routingDomain(tenant)],
    smartHosts: [tenantSmartHost(tenant)],
    dnsRoutingEnabled: false,
    tlsAuthLevel: "DomainValidation",
    tlsDomain: cloud.tlsDomain,
    sourceTransportServers: servers,
  };
  if (current === undefined) return fresh;
  const owned = ownedNames({ tenants: [tenant] }, index.tenants);
  const ownHosts = current.smartHosts.filter((host) => owned.ownsHost(host));
  const alone = current.tenants.length === 1 && current.tenants[0] === tenant;
  const ownSpaces = current.addressSpaces.filter((space) => {
    const domain = normalizeAddressSpace(space);
    return owned.addressSpaces.has(domain) || (domain === "*" && alone && ownHosts.length === current.smartHosts.length);
  });
  // DNS routing (HCW's default: no smart host, MX of the routing domain) stays where it was; otherwise smart hosts.
  const smartHosts = ownHosts.length > 0 ? ownHosts : current.dnsRoutingEnabled && current.smartHosts.length === 0 ? [] : fresh.smartHosts;
  const tlsAuthLevel = current.tlsAuthLevel === "CertificateValidation" ? "CertificateValidation" : "DomainValidation";
  const tlsDomain = tlsAuthLevel === "DomainValidation" ? cloud.tlsDomain : current.tlsDomain;
  const candidate: TenantPlan["target"] = {
    addressSpaces: ownSpaces.length > 0 ? ownSpaces : fresh.addressSpaces,
    smartHosts,
    dnsRoutingEnabled: smartHosts.length === 0,
    tlsAuthLevel,
    ...(tlsDomain !== undefined ? { tlsDomain } : {}),
    sourceTransportServers: current.sourceTransportServers.length > 0 ? current.sourceTransportServers : servers,
  };
  const judged = parseInventory({
    tenants: inventory.tenants,
    inboundConnectors: [],
    sendConnectors: [targetSendConnector(current.name, tenant, candidate)],
  });
  return evaluate(judged, engineConfig, { only: ["send-connector-tls"] }).length === 0 ? candidate : fresh;
}

/** A target Send Connector as the engine reads it; its certificate is not known before it exists. */
function targetSendConnector(name: string, tenant: string, target: TenantPlan["target"]) {
  return {
    ref: { kind: "sendConnector", name },
    name,
    tenants: [tenant],
    addressSpaces: target.addressSpaces,
    smartHosts: target.smartHosts,
    dnsRoutingEnabled: target.dnsRoutingEnabled,
    requireTls: true,
    tlsAuthLevel: target.tlsAuthLevel,
    ...(target.tlsDomain !== undefined ? { tlsDomain: target.tlsDomain } : {}),
    cloudServicesMailEnabled: true,
    sourceTransportServers: target.sourceTransportServers,
    unknown: ["tlsCertificateName", "certificateThumbprint"],
  };
}

/** Exchange connector names are at most 64 characters (New-InboundConnector, New-SendConnector). */
const NAME_MAX = 64;
/** The names the Hybrid Configuration Wizard gives its connectors (it finds them again by these names). */
const HCW_SEND_NAME = /^Outbound to Office 365 - [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HCW_INBOUND_NAME = /^Inbound from [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The name a connector keeps or gets when its role changes (a shared Send Connector that now routes to
 * one tenant; an inbound connector that now authenticates by another name or by certificate instead
 * of IP): a new name that says what it does, unless HCW owns the name or the new one is not available.
 */
function roleName(
  current: string,
  roleChange: string | undefined,
  proposed: string,
  hcw: RegExp,
  taken: (name: string) => boolean,
): { name: string; nameReason?: string } {
  if (roleChange === undefined) return { name: current };
  const keep = (why: string) => ({ name: current, nameReason: `keeps its name although ${roleChange}: ${why}` });
  if (hcw.test(current))
    return keep("the Hybrid Configuration Wizard finds its connectors by this name, so its next run would create another one");
  if (proposed.length > NAME_MAX) return keep(`"${proposed}" would be longer than Exchange's ${NAME_MAX} characters`);
  if (taken(proposed)) return keep(`another connector is already named "${proposed}"`);
  return { name: proposed, nameReason: `is renamed "${proposed}": ${roleChange}` };
}

/** Plans the migration; throws PlanRefusal when the input cannot support a plan. */
export function planMigration(inventory: Inventory, options: PlanOptions): MigrationPlan {
  const now = options.now ?? new Date();
  const findings = evaluate(inventory, { ...options.engineConfig, now: now.toISOString() });
  const index = buildIndex(inventory);
  const certificateDir = options.certificateDir ?? "certs";
  const owner = projectOwner(options.stack);
  const onPremisesByTenant = onPremisesConnectorsByTenant(inventory);
  const onPremisesConnectors = (tenant: string): InboundConnector[] => onPremisesByTenant.get(tenant) ?? [];

  const inScope = inventory.tenants
    .map((t) => t.name)
    .filter((t) => onPremisesConnectors(t).length > 0 || index.sendConnectorsByTenant.has(t))
    .sort();
  const untouched = inventory.tenants
    .map((t) => t.name)
    .filter((t) => !inScope.includes(t))
    .sort();
  if (inScope.length === 0) {
    throw new PlanRefusal(
      `none of the ${inventory.tenants.length} tenants read has an on-premises mail path (an OnPremises inbound connector or a Send Connector routing to it), so there is nothing to migrate. ` +
        "Give the tenants' exports (AcceptedDomain.json, InboundConnector.json) or --live, and the on-premises SendConnector.json.",
    );
  }
  const exported = [
    ...new Set(inventory.sendConnectors.filter((c) => c.tenants.some((t) => inScope.includes(t))).flatMap((c) => c.sourceTransportServers)),
  ].sort();
  const given = [...new Set(options.sourceTransportServers ?? [])];
  const servers = given.length > 0 ? given : exported;
  if (servers.length === 0) {
    throw new PlanRefusal(
      `no on-premises Send Connector to these tenants names a source transport server, so the plan cannot say which servers send with the new certificates. Name them with ${SOURCE_SERVER_OPTION} (e.g. ${SOURCE_SERVER_OPTION} EX01 ${SOURCE_SERVER_OPTION} EX02), or add the on-premises export: Get-SendConnector | ConvertTo-Json -Depth 5 > _onprem/SendConnector.json (and Get-ExchangeCertificate | ConvertTo-Json -Depth 5 > _onprem/ExchangeCertificate.json).`,
    );
  }
  const assumptions: string[] = [];
  if (inventory.sendConnectors.length === 0) {
    assumptions.push(
      `the source transport servers are ${list(servers)} (${SOURCE_SERVER_OPTION}), and every one of them sends to every tenant`,
      `no Send Connector routes to these tenants yet, so each tenant gets a new one; if one does, export Get-SendConnector and plan again, or it keeps sending as it does today`,
      "no certificate for these tenants is installed on-premises, so each tenant gets a certificate request",
    );
  } else if (inventory.certificates.length === 0) {
    assumptions.push(
      "no Get-ExchangeCertificate export was read, so no certificate in use is known to be a tenant's own: each tenant gets a certificate request",
    );
  }
  if (inventory.sendConnectors.length > 0 && given.length > 0 && !sameSet(given, exported)) {
    assumptions.push(
      `the source transport servers are ${list(given)} (${SOURCE_SERVER_OPTION}), not ${list(exported)} as the Send Connector export says`,
    );
  }
  for (const tenant of inScope) {
    if ((index.tenants.get(tenant)?.acceptedDomains ?? []).length === 0) {
      throw new PlanRefusal(
        `tenant "${tenant}" has no accepted domains in the input, so no certificate name can be chosen for it. Export them with Get-AcceptedDomain | ConvertTo-Json -Depth 5 in that tenant, or read it with --live.`,
      );
    }
  }

  // Which tenants name each certificate name today (connectors and the certificates on their paths).
  const foreignNames = new Map<string, Set<string>>();
  const claim = (name: string, tenant: string) => foreignNames.set(name, new Set([...(foreignNames.get(name) ?? []), tenant]));
  for (const connector of inventory.inboundConnectors) {
    if (connector.tlsSenderCertificateName) claim(connector.tlsSenderCertificateName, connector.tenant);
  }
  for (const [thumbprint, tenants] of index.tenantsByThumbprint) {
    const certificate = index.certificatesByThumbprint.get(thumbprint);
    if (certificate) for (const name of presentedNames(certificate)) for (const tenant of tenants) claim(name, tenant);
  }

  // Keepers first: a tenant whose current name is healthy keeps it before anyone is proposed a name.
  const taken = new Map<string, string>();
  const choices = new Map<string, ReturnType<typeof chooseName>>();
  const order = [...inScope].sort((a, b) => {
    const healthy = (t: string) => {
      const name = onPremisesConnectors(t)[0]?.tlsSenderCertificateName;
      return name !== undefined && !isWildcard(name) && acceptedNameVerdictFor(index, t, name) === "accepted" ? 0 : 1;
    };
    return healthy(a) - healthy(b) || a.localeCompare(b);
  });
  for (const tenant of order) {
    const choice = chooseName(tenant, onPremisesConnectors(tenant)[0], inventory, index, taken, foreignNames);
    taken.set(choice.name, tenant);
    choices.set(tenant, choice);
  }

  // Each existing Send Connector stays with one tenant: the first (by name) it routes to that has none yet.
  const sendOwner = new Map<string, SendConnector>();
  const keptSend = new Set<SendConnector>();
  for (const connector of [...inventory.sendConnectors].sort((a, b) => a.name.localeCompare(b.name))) {
    const tenant = connector.tenants.filter((t) => inScope.includes(t)).find((t) => !sendOwner.has(t));
    if (tenant === undefined) continue;
    sendOwner.set(tenant, connector);
    keptSend.add(connector);
  }
  const removeSendConnectors = inventory.sendConnectors.filter(
    (c) => !keptSend.has(c) && c.tenants.length > 0 && c.tenants.every((t) => inScope.includes(t)),
  );

  const sendNames = new Set(inventory.sendConnectors.map((c) => c.name.toLowerCase()));
  const adoptedSend = (tenant: string, send: SendConnector, target: TenantPlan["target"], tlsCertificateName: string | undefined) => {
    const others = send.tenants.filter((t) => t !== tenant);
    const naming = roleName(
      send.name,
      others.length > 0 ? `it routed to ${list(send.tenants)} and now routes to ${tenant} only` : undefined,
      `Outbound to ${tenant}`,
      HCW_SEND_NAME,
      (name) => sendNames.has(name.toLowerCase()),
    );
    const changes = sendChanges(send, target, tlsCertificateName);
    return {
      ...naming,
      // An existing connector is imported, unless the plan's own stack already manages it (it is in its state).
      adopt: send.managedBy !== owner,
      current: send,
      changes: naming.name === send.name ? changes : [`Name: ${send.name} -> ${naming.name}`, ...changes],
    };
  };
  const adoptedInbound = (current: InboundConnector, certificateName: string, connectors: readonly InboundConnector[]) => {
    const before = current.tlsSenderCertificateName;
    const naming = roleName(
      current.name,
      before === certificateName
        ? undefined
        : before === undefined
          ? `it authenticated by IP and now authenticates by the certificate for ${certificateName}`
          : `it named ${before} and now names ${certificateName}`,
      inboundName(certificateName),
      HCW_INBOUND_NAME,
      (name) => connectors.some((c) => c !== current && c.name.toLowerCase() === name.toLowerCase()),
    );
    const changes = inboundChanges(current, certificateName);
    return {
      ...naming,
      adopt: current.managedBy !== owner,
      current,
      changes: naming.name === current.name ? changes : [`Name: ${current.name} -> ${naming.name}`, ...changes],
    };
  };
  const tenants: TenantPlan[] = inScope.map((tenant) => {
    const choice = choices.get(tenant) as ReturnType<typeof chooseName>;
    const connectors = onPremisesConnectors(tenant);
    const current = connectors[0];
    const send = sendOwner.get(tenant);
    const target = sendTarget(tenant, send, inventory, index, servers, options.engineConfig ?? {});
    // The certificate the kept Send Connector presents is kept when it is this tenant's alone, covers the name and is valid.
    const presented = send ? index.certificateOf(send) : undefined;
    const dedicated =
      presented !== undefined &&
      coveringName(presented, choice.name) !== undefined &&
      [...(index.tenantsByThumbprint.get(presented.thumbprint) ?? [])].every((t) => t === tenant) &&
      presentedNames(presented).every((name) => [...(foreignNames.get(name) ?? [tenant])].every((t) => t === tenant)) &&
      presented.notAfter > now;
    const certificate: CertificatePlan = {
      kind: dedicated ? "keep" : "request",
      file: `${certificateDir}/${label(tenant)}.pem`,
      subject: `CN=${choice.name}`,
      dnsName: choice.name,
      ...(dedicated ? { thumbprint: presented.thumbprint } : {}),
    };
    const tlsCertificateName = dedicated ? send?.tlsCertificateName : undefined;
    return {
      tenant,
      acceptedDomains: [...(index.tenants.get(tenant)?.acceptedDomains ?? [])],
      certificateName: choice.name,
      keptName: choice.kept,
      reason: choice.reason,
      certificate,
      inbound: current
        ? adoptedInbound(current, choice.name, connectors)
        : { name: inboundName(choice.name), adopt: false, changes: ["new connector"] },
      send: send
        ? adoptedSend(tenant, send, target, tlsCertificateName)
        : { name: `Outbound to ${tenant}`, adopt: false, changes: ["new connector"] },
      removeInbound: connectors.slice(1),
      target,
    };
  });

  const changes =
    tenants.reduce(
      (sum, t) =>
        sum +
        (t.certificate.kind === "request" ? 1 : 0) +
        (t.inbound.changes.length > 0 ? 1 : 0) +
        (t.send.changes.length > 0 ? 1 : 0) +
        t.removeInbound.length,
      0,
    ) + removeSendConnectors.length;

  checkTarget(inventory, tenants, options.engineConfig ?? {});

  return {
    stack: options.stack,
    exchangeOnlineEndpoint: options.exchangeOnlineEndpoint,
    cloud: options.cloud ?? DEFAULT_CLOUD,
    sourceTransportServers: servers,
    assumptions,
    tenants,
    removeSendConnectors,
    untouched,
    findings,
    attribution: attribution(inventory, index, findings, tenants, options.engineConfig ?? {}),
    changes,
  };
}

/** The rules that judge names, IPs and Send Connectors: what the target fixes, decidable before the certificates exist. */
const TARGET_RULES = [
  "certificate-not-shared-across-tenants",
  "send-connector-per-tenant",
  "certificate-name-is-accepted-domain",
  "sender-ip-not-shared",
  "send-connector-tls",
];

/**
 * The planned target, judged by the engine like any inventory: a plan must not propose what the gate
 * would block. The certificates do not exist yet, so their identity is "unknown" and the rules that
 * need them skip it (the gated preview checks them once the files are there).
 */
function checkTarget(inventory: Inventory, tenants: readonly TenantPlan[], engineConfig: EngineConfigInput): void {
  const planned = new Set(tenants.map((t) => t.tenant));
  const target = parseInventory({
    tenants: inventory.tenants,
    inboundConnectors: [
      ...inventory.inboundConnectors.filter(
        (c) => !planned.has(c.tenant) || c.connectorType !== "OnPremises" || c.addOnService !== undefined,
      ),
      ...tenants.map((t) => ({
        ref: { kind: "inboundConnector", name: t.inbound.name },
        name: t.inbound.name,
        tenant: t.tenant,
        connectorType: "OnPremises",
        tlsSenderCertificateName: t.certificateName,
        senderDomains: ["*"],
        requireTls: true,
        cloudServicesMailEnabled: true,
      })),
    ],
    sendConnectors: tenants.map((t) => targetSendConnector(t.send.name, t.tenant, t.target)),
  });
  const blocking = evaluate(target, engineConfig, { only: TARGET_RULES }).filter((f) => f.severity === "mandatory");
  if (blocking.length > 0) {
    throw new PlanRefusal(
      `the target this input leads to would still be blocked by the gate:\n${blocking.map((f) => `  - [${f.ruleId}] ${f.message}`).join("\n")}\nResolve these in the input (accepted domains, connectors) and run plan again.`,
    );
  }
}

/** Today's and the planned attribution of every on-premises path, in Exchange Online's order. */
function attribution(
  inventory: Inventory,
  index: ReturnType<typeof buildIndex>,
  findings: readonly Finding[],
  tenants: readonly TenantPlan[],
  engineConfig: EngineConfigInput,
): PathAttribution[] {
  const planned = new Map(tenants.map((t) => [t.tenant, t]));
  const ipPeers = senderIpOverlaps(inventory, engineConfig);
  const paths: PathAttribution[] = [];
  const defectsOf = (names: Set<string>, tenantSet: Set<string>) =>
    [
      ...new Set(
        findings
          // A finding between tenants (f.tenants) is a defect of each tenant it involves.
          .filter(
            (f) => names.has(f.resource.name) || [...(f.tenants ?? []), ...(f.tenant ? [f.tenant] : [])].some((t) => tenantSet.has(t)),
          )
          .map((f) => `${f.ruleId} (${f.severity})`),
      ),
    ].sort();
  const afterLines = (routes: readonly string[]) =>
    routes
      .filter((t) => planned.has(t))
      .map((t) => {
        const p = planned.get(t) as TenantPlan;
        return `${t}: its own Send Connector "${p.send.name}" presents a certificate for "${p.certificateName}", an accepted domain of ${t} only, which inbound connector "${p.inbound.name}" names → credited: ${t} (by certificate domain).`;
      });

  for (const connector of inventory.sendConnectors) {
    const routes = connector.tenants.filter((t) => planned.has(t));
    if (routes.length === 0) continue;
    const certificate = index.certificateOf(connector);
    const today: string[] = [];
    const credited = new Set<string>(routes);
    let byCertificate: string[] = [];
    if (!certificate) {
      today.push(
        `1. Certificate domain: the connector presents ${connector.tlsCertificateName ? `"${connector.tlsCertificateName}", which matches no certificate read` : "no certificate (no TlsCertificateName)"}, so no tenant is identified by certificate.`,
      );
    } else {
      const names = presentedNames(certificate);
      const matching = inventory.inboundConnectors.filter(
        (c) =>
          c.connectorType === "OnPremises" &&
          c.tlsSenderCertificateName !== undefined &&
          coveringName(certificate, c.tlsSenderCertificateName) !== undefined,
      );
      byCertificate = [
        ...new Set(
          matching
            .filter((c) => acceptedNameVerdictFor(index, c.tenant, c.tlsSenderCertificateName as string) === "accepted")
            .map((c) => c.tenant),
        ),
      ].sort();
      for (const c of matching) credited.add(c.tenant);
      today.push(
        `1. Certificate domain: the connector presents certificate ${certificate.thumbprint} (${names.join(", ") || "no DNS names"}); OnPremises connectors that name a domain it covers: ${
          matching
            .map(
              (c) =>
                `"${c.name}" of ${c.tenant} (${c.tlsSenderCertificateName}${acceptedNameVerdictFor(index, c.tenant, c.tlsSenderCertificateName as string) === "accepted" ? ", accepted" : ", not an accepted domain there"})`,
            )
            .join("; ") || "none"
        }.`,
      );
    }
    const stable = byCertificate.length === 1 && routes.length === 1 && byCertificate[0] === routes[0];
    if (stable) {
      today.push(`   The certificate domain identifies ${routes[0]} alone; MAIL FROM and RCPT TO are not needed.`);
    } else {
      for (const t of routes) for (const peer of ipPeers.get(t) ?? []) credited.add(peer);
      const ipNote = routes
        .filter((t) => (ipPeers.get(t)?.size ?? 0) > 0)
        .map((t) => `${t}'s sender IPs are also listed by ${list([...(ipPeers.get(t) ?? [])].sort())}`);
      today.push(
        `2. P1 MAIL FROM: without a certificate domain that identifies one tenant, Exchange Online falls back to the envelope sender's domain${ipNote.length > 0 ? ` (and ${ipNote.join("; ")}, so the connecting IP does not tell the tenants apart)` : ""}.`,
      );
      today.push(
        "3. RCPT TO: when the sender's domain is no tenant's accepted domain (relayed or forwarded mail, system senders), the recipient's domain decides — a tenant move can change the outcome without notice (MC1226222).",
      );
    }
    paths.push({
      sendConnector: connector.name,
      sourceTransportServers: connector.sourceTransportServers,
      routesTo: routes,
      defects: defectsOf(new Set([connector.name, ...(certificate ? [certificate.thumbprint] : [])]), new Set(routes)),
      today,
      creditedToday: [...credited].sort(),
      after: afterLines(routes),
    });
  }
  // Tenants with an OnPremises connector but no Send Connector of their own today.
  for (const t of tenants) {
    if (index.sendConnectorsByTenant.has(t.tenant)) continue;
    const peers = [...(ipPeers.get(t.tenant) ?? [])].sort();
    paths.push({
      routesTo: [t.tenant],
      sourceTransportServers: [],
      defects: defectsOf(new Set(), new Set([t.tenant])),
      today: [
        `1. Certificate domain: no Send Connector read routes to ${t.tenant}, so none presents a certificate for it.`,
        `2. P1 MAIL FROM, then 3. RCPT TO decide${peers.length > 0 ? `; its sender IPs are also listed by ${list(peers)}` : ""}.`,
      ],
      creditedToday: [t.tenant, ...peers].sort(),
      after: afterLines([t.tenant]),
    });
  }
  return paths;
}
