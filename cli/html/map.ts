import {
  buildIndex,
  type Certificate,
  classifySenderAddress,
  coveringName,
  type EngineConfigInput,
  type Finding,
  type Inventory,
  presentedNames,
  type ResourceRef,
  resolveConfig,
  type SendConnector,
} from "../../policy/src/engine";
import { overlappingPairs, type SenderClaim, senderClaims } from "../../policy/src/engine/rules/sender-ip-not-shared";

/**
 * The attribution map as data: on-premises Send Connectors (with their servers) → the certificate
 * they present → the certificate names and sender IPs Exchange Online matches → the OnPremises
 * inbound connectors that accept them → their tenants. It describes what is configured; whether
 * that is a defect is the engine's word (the findings attached to each node).
 */

export type NodeKind = "sendConnector" | "certificate" | "name" | "ip" | "inbound" | "tenant";

/** Columns of the map, left to right. */
export const COLUMNS: readonly NodeKind[] = ["sendConnector", "certificate", "name", "ip", "inbound", "tenant"];
export const KIND_LABEL: Record<NodeKind, string> = {
  sendConnector: "Send Connector",
  certificate: "Certificate",
  name: "Certificate name",
  ip: "Sender IP",
  inbound: "Inbound connector",
  tenant: "Tenant",
};

export interface MapNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** The node's name as the configuration spells it (connector name, thumbprint, domain, IP entries). */
  readonly title: string;
  /** Facts shown under the title (servers, presented names...). */
  readonly details: string[];
  /** Resources this node stands for, to attach the engine's findings. */
  readonly refs: ResourceRef[];
  /** The tenant, for tenant nodes. */
  readonly tenant?: string;
  /** Tenants that meet at this node (certificate, name, IP): more than one means shared. */
  meets: string[];
  /** Send Connectors that reach this node (tenant nodes: its paths). */
  paths: string[];
  /** Marks in words: "SHARED by 2 tenants: …", "reached by 2 paths: …", "reaches 2 tenants: …". */
  marks: string[];
  findings: { mandatory: number; advisory: number; rules: string[] };
}

export interface MapEdge {
  readonly from: string;
  readonly to: string;
  /** What the edge means, in words (shown as the edge's tooltip and in the text version). */
  readonly label: string;
  /** A Send Connector that routes to a tenant nothing on the path identifies (MAIL FROM / RCPT TO decide). */
  readonly fallback?: boolean;
}

export interface MapComponent {
  /** Stable anchor id, e.g. "map-3". */
  readonly id: string;
  readonly nodes: MapNode[];
  readonly edges: MapEdge[];
  readonly tenants: string[];
  /** Where tenants meet (a shared node, a tenant reached by two paths, a path reaching two tenants), in words. */
  readonly meetings: string[];
}

export interface AttributionMap {
  readonly components: MapComponent[];
  /** Tenants read that are on no on-premises path (no OnPremises inbound connector, no Send Connector to them). */
  readonly offPath: string[];
}

/** What a Send Connector presents; the planned target supplies its own (certificates not issued yet). */
export interface Presented {
  readonly key: string;
  readonly title: string;
  readonly details: string[];
  readonly refs: ResourceRef[];
  /** The names of the presented certificate, for the names column. */
  readonly covers: (name: string) => boolean;
  readonly names: readonly string[];
}

export interface MapOptions {
  readonly findings?: readonly Finding[];
  readonly engineConfig?: EngineConfigInput;
  /** Overrides how a Send Connector's certificate is found (the plan's target). */
  readonly presented?: (connector: SendConnector) => Presented | undefined;
  /** Prefix of the component ids, so that two maps can share a page ("map", "after"). */
  readonly idPrefix?: string;
}

function certificatePresented(certificate: Certificate): Presented {
  const names = presentedNames(certificate);
  return {
    key: `cert:${certificate.thumbprint}`,
    title: certificate.thumbprint,
    details: [`subject ${certificate.subject}`, `names ${names.join(", ") || "(none)"}`],
    refs: [certificate.ref ?? { kind: "certificate", name: certificate.thumbprint }, { kind: "certificate", name: certificate.thumbprint }],
    covers: (name) => coveringName(certificate, name) !== undefined,
    names,
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Names in a mark: up to MARK_NAMES of them, then how many more (a shared IP can join a thousand tenants). */
const MARK_NAMES = 10;
function names(list: readonly string[]): string {
  return list.length <= MARK_NAMES ? list.join(", ") : `${list.slice(0, MARK_NAMES).join(", ")} and ${list.length - MARK_NAMES} more`;
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root) as string;
    let cur = x;
    while (cur !== root) {
      const next = this.parent.get(cur) as string;
      this.parent.set(cur, root);
      cur = next;
    }
    if (!this.parent.has(root)) this.parent.set(root, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

function sameRef(a: ResourceRef, b: ResourceRef): boolean {
  return a.kind === b.kind && a.name === b.name && (a.source === undefined || b.source === undefined || a.source === b.source);
}

/** Builds the map of an inventory: nodes, edges, what meets where, split into connected parts. */
export function buildAttributionMap(inventory: Inventory, options: MapOptions = {}): AttributionMap {
  const index = buildIndex(inventory);
  const nodes = new Map<string, MapNode>();
  const edges = new Map<string, MapEdge>();
  const node = (key: string, kind: NodeKind, title: string, init: Partial<Pick<MapNode, "details" | "refs" | "tenant">> = {}): MapNode => {
    let n = nodes.get(key);
    if (!n) {
      n = {
        id: key,
        kind,
        title,
        details: init.details ?? [],
        refs: init.refs ?? [],
        ...(init.tenant ? { tenant: init.tenant } : {}),
        meets: [],
        paths: [],
        marks: [],
        findings: { mandatory: 0, advisory: 0, rules: [] },
      };
      nodes.set(key, n);
    }
    return n;
  };
  const edge = (from: string, to: string, label: string, fallback = false) => {
    const key = `${from}\u0000${to}`;
    if (!edges.has(key)) edges.set(key, { from, to, label, ...(fallback ? { fallback } : {}) });
  };
  const tenantNode = (tenant: string) => node(`tenant:${tenant}`, "tenant", tenant, { tenant, refs: [{ kind: "tenant", name: tenant }] });

  // Sender IPs: entries that overlap (the engine's own claims and pairs) are one node.
  const claims = senderClaims(inventory, resolveConfig(options.engineConfig ?? {}));
  const ipSets = new UnionFind();
  const claimKey = (claim: SenderClaim) => (claim.kind === "shared" ? `shared:${claim.block.text}` : `ip:${claim.block.text}`);
  for (const claim of claims) ipSets.find(claimKey(claim));
  const sharedRanges = new Map<string, string>();
  for (const [a, b] of overlappingPairs(claims)) {
    ipSets.union(claimKey(a), claimKey(b));
    for (const c of [a, b]) if (c.kind !== "connector") sharedRanges.set(claimKey(c), c.label);
  }
  const entriesOf = new Map<string, Set<string>>();
  for (const claim of claims) {
    if (claim.kind !== "connector") continue;
    const root = ipSets.find(claimKey(claim));
    entriesOf.set(root, new Set([...(entriesOf.get(root) ?? []), claim.block.text]));
  }
  const notesOf = new Map<string, Set<string>>();
  for (const [key, label] of sharedRanges) {
    const root = ipSets.find(key);
    notesOf.set(root, new Set([...(notesOf.get(root) ?? []), `overlaps an address ${label}`]));
  }
  /** The IP node of one raw SenderIPAddresses entry (entries the sharing check does not take part in stand alone). */
  const ipNodeOf = (raw: string, claim: SenderClaim | undefined): MapNode => {
    if (!claim) return node(`ip-raw:${raw}`, "ip", raw, { details: ["not a public IPv4 address or CIDR"] });
    const root = ipSets.find(claimKey(claim));
    const entries = [...(entriesOf.get(root) ?? [claim.block.text])].sort();
    return node(`ipset:${root}`, "ip", entries.join(" · "), { details: [...(notesOf.get(root) ?? [])].sort() });
  };
  const claimsByConnector = new Map<ResourceRef, SenderClaim[]>();
  for (const claim of claims)
    if (claim.kind === "connector" && claim.ref) claimsByConnector.set(claim.ref, [...(claimsByConnector.get(claim.ref) ?? []), claim]);

  // Inbound side: OnPremises connectors, the names and IPs they accept, their tenants.
  const namesByParent = new Map<string, string[]>();
  const ipNodesByTenant = new Map<string, Set<string>>();
  for (const connector of inventory.inboundConnectors) {
    if (connector.connectorType !== "OnPremises") continue;
    const inbound = node(`in:${connector.ref.source ?? ""}:${connector.tenant}:${connector.name}`, "inbound", connector.name, {
      refs: [connector.ref],
      details: [
        connector.addOnService !== undefined ? "add-on service relay" : connector.enabled ? "OnPremises" : "OnPremises, disabled",
        ...(connector.tlsSenderCertificateName ? [`TlsSenderCertificateName ${connector.tlsSenderCertificateName}`] : []),
        ...(connector.senderIPAddresses.length > 0 ? [`SenderIPAddresses ${connector.senderIPAddresses.join(", ")}`] : []),
      ],
    });
    edge(inbound.id, tenantNode(connector.tenant).id, `belongs to tenant ${connector.tenant}`);
    const name = connector.tlsSenderCertificateName;
    if (name) {
      if (!nodes.has(`name:${name}`) && !name.startsWith("*.")) {
        const parent = name.slice(name.indexOf(".") + 1);
        namesByParent.set(parent, [...(namesByParent.get(parent) ?? []), name]);
      }
      edge(node(`name:${name}`, "name", name).id, inbound.id, `TlsSenderCertificateName of "${connector.name}"`);
    }
    const own = claimsByConnector.get(connector.ref) ?? [];
    for (const raw of connector.senderIPAddresses) {
      const parsed = classifySenderAddress(raw);
      const claim = parsed.kind === "ipv4" ? own.find((c) => c.block.text === parsed.block.text) : undefined;
      const ip = ipNodeOf(raw, claim);
      edge(ip.id, inbound.id, `in SenderIPAddresses of "${connector.name}"`);
      ipNodesByTenant.set(connector.tenant, new Set([...(ipNodesByTenant.get(connector.tenant) ?? []), ip.id]));
    }
  }

  // Send side: each Send Connector routing to a tenant, what it presents, where that leads.
  const presentedOf =
    options.presented ??
    ((connector: SendConnector) => {
      const certificate = index.certificateOf(connector);
      return certificate ? certificatePresented(certificate) : undefined;
    });
  const sendRoutes = new Map<string, string[]>();
  for (const connector of inventory.sendConnectors) {
    if (connector.tenants.length === 0) continue;
    const send = node(`send:${connector.ref.source ?? ""}:${connector.name}`, "sendConnector", connector.name, {
      refs: [connector.ref],
      details: [
        `servers ${connector.sourceTransportServers.join(", ") || "(none named)"}`,
        `routes to ${connector.tenants.join(", ")}`,
        ...(connector.tlsCertificateName && !presentedOf(connector)
          ? [`TlsCertificateName ${connector.tlsCertificateName} (no certificate read)`]
          : []),
      ],
    });
    sendRoutes.set(send.id, [...connector.tenants]);
    const presented = presentedOf(connector);
    if (presented) {
      const certificate = node(presented.key, "certificate", presented.title, { details: presented.details, refs: presented.refs });
      edge(send.id, certificate.id, "presents");
      const candidates = new Set<string>();
      for (const p of presented.names) {
        candidates.add(p);
        if (p.startsWith("*.")) for (const child of namesByParent.get(p.slice(2)) ?? []) candidates.add(child);
        const labels = p.replace(/^\*\./, "").split(".");
        for (let i = 0; i < labels.length - 1; i++) candidates.add(`*.${labels.slice(i).join(".")}`);
      }
      for (const name of candidates) {
        if (nodes.has(`name:${name}`) && presented.covers(name)) edge(certificate.id, `name:${name}`, `covers ${name}`);
      }
    }
    for (const tenant of connector.tenants) {
      for (const ip of ipNodesByTenant.get(tenant) ?? []) edge(send.id, ip, `its servers send from the addresses ${tenant} lists`);
    }
  }

  // Who reaches what: tenants downstream of every node, and the Send Connectors (with the tenants they route to) upstream.
  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  for (const e of edges.values()) {
    out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
    into.set(e.to, [...(into.get(e.to) ?? []), e.from]);
  }
  const down = new Map<string, Set<string>>();
  const downstream = (id: string): Set<string> => {
    const known = down.get(id);
    if (known) return known;
    const n = nodes.get(id) as MapNode;
    const set = new Set<string>(n.tenant ? [n.tenant] : []);
    down.set(id, set);
    for (const next of out.get(id) ?? []) for (const t of downstream(next)) set.add(t);
    return set;
  };
  // Columns are a DAG in COLUMNS order: walk them left to right for the upstream sets.
  const order = [...nodes.values()].sort((a, b) => COLUMNS.indexOf(a.kind) - COLUMNS.indexOf(b.kind));
  const upSends = new Map<string, Set<string>>();
  for (const n of order) {
    const set = new Set<string>(n.kind === "sendConnector" ? [n.id] : []);
    for (const prev of into.get(n.id) ?? []) for (const s of upSends.get(prev) ?? []) set.add(s);
    upSends.set(n.id, set);
  }
  // A Send Connector whose route leads nowhere that identifies the tenant: the fallback (MAIL FROM, RCPT TO) decides.
  for (const [send, routes] of sendRoutes) {
    const reached = downstream(send);
    for (const tenant of routes) {
      if (reached.has(tenant)) continue;
      const target = tenantNode(tenant);
      edge(
        send,
        target.id,
        `routes to ${tenant}; no certificate name or IP on this path identifies it: P1 MAIL FROM, then RCPT TO decide`,
        true,
      );
      out.set(send, [...(out.get(send) ?? []), target.id]);
      into.set(target.id, [...(into.get(target.id) ?? []), send]);
      reached.add(tenant);
      upSends.set(target.id, new Set([...(upSends.get(target.id) ?? []), send]));
    }
  }
  const sendTitle = (id: string) => `"${(nodes.get(id) as MapNode).title}"`;
  for (const n of nodes.values()) {
    const sends = [...(upSends.get(n.id) ?? [])].sort();
    n.paths = sends.map((id) => (nodes.get(id) as MapNode).title);
    if (n.kind === "certificate" || n.kind === "name" || n.kind === "ip") {
      const meets = new Set(downstream(n.id));
      for (const s of sends) for (const t of sendRoutes.get(s) ?? []) meets.add(t);
      n.meets = [...meets].sort();
      if (n.meets.length > 1) n.marks.push(`SHARED by ${plural(n.meets.length, "tenant")}: ${names(n.meets)}`);
    } else if (n.kind === "tenant") {
      n.meets = [n.tenant as string];
      if (sends.length > 1) n.marks.push(`reached by ${plural(sends.length, "path")}: ${names(sends.map(sendTitle))}`);
      if (sends.length === 0) n.details.push("no Send Connector read reaches it");
    } else if (n.kind === "sendConnector") {
      n.meets = [...new Set([...downstream(n.id), ...(sendRoutes.get(n.id) ?? [])])].sort();
      if (n.meets.length > 1) n.marks.push(`reaches ${plural(n.meets.length, "tenant")}: ${names(n.meets)}`);
    } else {
      n.meets = [...downstream(n.id)].sort();
    }
  }

  // The engine's findings on each node's resources.
  const byRef = new Map<string, MapNode[]>();
  for (const n of nodes.values())
    for (const r of n.refs) byRef.set(`${r.kind}:${r.name}`, [...(byRef.get(`${r.kind}:${r.name}`) ?? []), n]);
  for (const finding of options.findings ?? []) {
    const refs = [finding.resource, ...(finding.related ?? [])];
    const hit = new Set<MapNode>();
    for (const f of refs) for (const n of byRef.get(`${f.kind}:${f.name}`) ?? []) if (n.refs.some((r) => sameRef(r, f))) hit.add(n);
    for (const n of hit) {
      n.findings[finding.severity] += 1;
      if (!n.findings.rules.includes(finding.ruleId)) n.findings.rules.push(finding.ruleId);
    }
  }

  // Connected parts, each its own drawing: those where tenants meet first, then by tenant.
  const parts = new UnionFind();
  for (const n of nodes.values()) parts.find(n.id);
  for (const e of edges.values()) parts.union(e.from, e.to);
  const grouped = new Map<string, MapNode[]>();
  for (const n of nodes.values()) {
    const root = parts.find(n.id);
    grouped.set(root, [...(grouped.get(root) ?? []), n]);
  }
  const edgesOf = new Map<string, MapEdge[]>();
  for (const e of edges.values()) {
    const root = parts.find(e.from);
    edgesOf.set(root, [...(edgesOf.get(root) ?? []), e]);
  }
  const prefix = options.idPrefix ?? "map";
  const components = [...grouped.entries()]
    .map(([root, members]) => {
      const tenants = members
        .filter((n) => n.kind === "tenant")
        .map((n) => n.tenant as string)
        .sort();
      const meetings = members
        .filter((n) => n.marks.length > 0)
        .sort((a, b) => COLUMNS.indexOf(a.kind) - COLUMNS.indexOf(b.kind) || a.title.localeCompare(b.title))
        .flatMap((n) =>
          n.marks.map((m) => `${KIND_LABEL[n.kind]} ${n.kind === "sendConnector" || n.kind === "inbound" ? `"${n.title}"` : n.title} ${m}`),
        );
      return { root, members, tenants, meetings };
    })
    .sort((a, b) => Number(b.meetings.length > 0) - Number(a.meetings.length > 0) || (a.tenants[0] ?? "").localeCompare(b.tenants[0] ?? ""))
    .map(({ root, members, tenants, meetings }, i) => ({
      id: `${prefix}-${i + 1}`,
      nodes: members.sort((a, b) => COLUMNS.indexOf(a.kind) - COLUMNS.indexOf(b.kind) || a.title.localeCompare(b.title)),
      edges: edgesOf.get(root) ?? [],
      tenants,
      meetings,
    }));
  const onPath = new Set(components.flatMap((c) => c.tenants));
  return {
    components,
    offPath: inventory.tenants
      .map((t) => t.name)
      .filter((t) => !onPath.has(t))
      .sort(),
  };
}
