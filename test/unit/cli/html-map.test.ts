import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type InventoryInput, parseInventory } from "../../../policy/src/engine";
import { buildAttributionMap, type MapComponent, type MapNode } from "../../../cli/html/map";

const ISSUER = "CN=Test CA, O=Test, C=US";

function tenant(prefix: string, extra: string[] = []) {
  return { name: `${prefix}.onmicrosoft.com`, acceptedDomains: [`${prefix}.com`, ...extra, `${prefix}.onmicrosoft.com`] };
}
function inbound(prefix: string, name: string, fields: { tlsSenderCertificateName?: string; senderIPAddresses?: string[] }) {
  return {
    ref: { kind: "inboundConnector" as const, name },
    name,
    tenant: `${prefix}.onmicrosoft.com`,
    connectorType: "OnPremises" as const,
    ...fields,
  };
}
function send(name: string, prefixes: string[], subject?: string) {
  return {
    ref: { kind: "sendConnector" as const, name },
    name,
    tenants: prefixes.map((p) => `${p}.onmicrosoft.com`),
    sourceTransportServers: ["EX01"],
    ...(subject ? { tlsCertificateName: `<I>${ISSUER}<S>${subject}` } : {}),
  };
}
function certificate(hex: string, cn: string, dnsNames: string[]) {
  return {
    thumbprint: hex.repeat(40 / hex.length),
    subject: `CN=${cn}`,
    issuer: ISSUER,
    commonName: cn,
    dnsNames,
    notBefore: "2026-01-01T00:00:00Z",
    notAfter: "2027-01-01T00:00:00Z",
  };
}

function mapOf(input: InventoryInput) {
  return buildAttributionMap(parseInventory(input));
}
function nodeOf(component: MapComponent, kind: MapNode["kind"], title: string): MapNode {
  const node = component.nodes.find((n) => n.kind === kind && n.title === title);
  assert.ok(node, `no ${kind} node "${title}" in ${component.nodes.map((n) => `${n.kind}:${n.title}`).join(", ")}`);
  return node;
}
/** Tenants reachable from a node along the edges. */
function tenantsFrom(component: MapComponent, id: string): string[] {
  const seen = new Set<string>([id]);
  const queue = [id];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    for (const e of component.edges) {
      if (e.from !== at || seen.has(e.to)) continue;
      seen.add(e.to);
      queue.push(e.to);
    }
  }
  return component.nodes.filter((n) => n.kind === "tenant" && seen.has(n.id)).map((n) => n.tenant as string);
}

describe("the attribution map", () => {
  it("joins two tenants at a sender IP both list, marked SHARED in words, each tenant reached by both paths", () => {
    const map = mapOf({
      tenants: [tenant("adatum"), tenant("litware")],
      inboundConnectors: [
        inbound("adatum", "From Adatum", { senderIPAddresses: ["203.0.113.25"] }),
        inbound("litware", "From Litware", { senderIPAddresses: ["203.0.113.25"] }),
      ],
      sendConnectors: [send("To Adatum", ["adatum"]), send("To Litware", ["litware"])],
    });
    assert.equal(map.components.length, 1);
    const part = map.components[0] as MapComponent;
    assert.deepEqual(part.tenants, ["adatum.onmicrosoft.com", "litware.onmicrosoft.com"]);
    const ip = nodeOf(part, "ip", "203.0.113.25");
    assert.deepEqual(ip.marks, ["SHARED by 2 tenants: adatum.onmicrosoft.com, litware.onmicrosoft.com"]);
    assert.deepEqual(tenantsFrom(part, ip.id).sort(), ["adatum.onmicrosoft.com", "litware.onmicrosoft.com"]);
    assert.deepEqual(nodeOf(part, "tenant", "adatum.onmicrosoft.com").marks, ['reached by 2 paths: "To Adatum", "To Litware"']);
    assert.ok(part.meetings.includes("Sender IP 203.0.113.25 SHARED by 2 tenants: adatum.onmicrosoft.com, litware.onmicrosoft.com"));
  });

  it("draws overlapping entries (a CIDR and an address in it) as one sender-IP node, and a separate address alone", () => {
    const map = mapOf({
      tenants: [tenant("adatum"), tenant("litware")],
      inboundConnectors: [
        inbound("adatum", "From Adatum", { senderIPAddresses: ["203.0.113.0/28"] }),
        inbound("litware", "From Litware", { senderIPAddresses: ["203.0.113.5", "198.51.100.7"] }),
      ],
    });
    const part = map.components[0] as MapComponent;
    assert.equal(nodeOf(part, "ip", "203.0.113.0/28 · 203.0.113.5").meets.length, 2);
    assert.deepEqual(nodeOf(part, "ip", "198.51.100.7").marks, []);
  });

  it("joins two tenants at a certificate name that two different certificates carry", () => {
    const map = mapOf({
      tenants: [tenant("contoso", ["relay.contoso.com"]), tenant("fabrikam", ["relay.fabrikam.com"])],
      inboundConnectors: [
        inbound("contoso", "Inbound Contoso", { tlsSenderCertificateName: "relay.contoso.com" }),
        inbound("fabrikam", "Inbound Fabrikam", { tlsSenderCertificateName: "relay.fabrikam.com" }),
      ],
      sendConnectors: [send("To Contoso", ["contoso"], "CN=relay.contoso.com"), send("To Fabrikam", ["fabrikam"], "CN=relay.fabrikam.com")],
      certificates: [
        certificate("A1", "relay.contoso.com", ["relay.contoso.com"]),
        certificate("B2", "relay.fabrikam.com", ["relay.fabrikam.com", "relay.contoso.com"]),
      ],
    });
    assert.equal(map.components.length, 1);
    const part = map.components[0] as MapComponent;
    const name = nodeOf(part, "name", "relay.contoso.com");
    assert.deepEqual(name.marks, ["SHARED by 2 tenants: contoso.onmicrosoft.com, fabrikam.onmicrosoft.com"]);
    // Both tenants' Send Connectors reach the shared name; only fabrikam's reaches fabrikam's own name.
    assert.deepEqual(name.paths, ["To Contoso", "To Fabrikam"]);
    assert.deepEqual(nodeOf(part, "name", "relay.fabrikam.com").marks, []);
    assert.deepEqual(nodeOf(part, "sendConnector", "To Fabrikam").marks, [
      "reaches 2 tenants: contoso.onmicrosoft.com, fabrikam.onmicrosoft.com",
    ]);
  });

  it("keeps a tenant with a path of its own apart, with no marks", () => {
    const map = mapOf({
      tenants: [tenant("northwind", ["relay.northwind.com"]), tenant("tailspin")],
      inboundConnectors: [inbound("northwind", "Inbound Northwind", { tlsSenderCertificateName: "relay.northwind.com" })],
      sendConnectors: [send("To Northwind", ["northwind"], "CN=relay.northwind.com")],
      certificates: [certificate("C3", "relay.northwind.com", ["relay.northwind.com"])],
    });
    assert.equal(map.components.length, 1);
    const part = map.components[0] as MapComponent;
    assert.deepEqual(part.meetings, []);
    assert.deepEqual(
      part.nodes.map((n) => n.kind),
      ["sendConnector", "certificate", "name", "inbound", "tenant"],
    );
    assert.ok(part.nodes.every((n) => n.marks.length === 0));
    assert.deepEqual(map.offPath, ["tailspin.onmicrosoft.com"]);
  });

  it("draws a Send Connector whose certificate covers no name the tenant accepts as a fallback edge to the tenant", () => {
    const map = mapOf({
      tenants: [tenant("contoso", ["relay.contoso.com"])],
      inboundConnectors: [inbound("contoso", "Inbound Contoso", { tlsSenderCertificateName: "relay.contoso.com" })],
      sendConnectors: [send("To Contoso", ["contoso"], "CN=mail.contoso.com")],
      certificates: [certificate("D4", "mail.contoso.com", ["mail.contoso.com"])],
    });
    const part = map.components[0] as MapComponent;
    const fallback = part.edges.filter((e) => e.fallback);
    assert.equal(fallback.length, 1);
    assert.equal(fallback[0]?.to, "tenant:contoso.onmicrosoft.com");
    assert.match(fallback[0]?.label ?? "", /P1 MAIL FROM, then RCPT TO decide/);
  });

  it("attaches the engine's findings to the nodes of the resources they name", () => {
    const inventory = parseInventory({
      tenants: [tenant("adatum")],
      inboundConnectors: [inbound("adatum", "From Adatum", { senderIPAddresses: ["203.0.113.25"] })],
    });
    const map = buildAttributionMap(inventory, {
      findings: [
        {
          ruleId: "certificate-auth-preferred",
          severity: "advisory",
          resource: { kind: "inboundConnector", name: "From Adatum" },
          message: "m",
          remediation: "r",
        },
      ],
    });
    const node = nodeOf(map.components[0] as MapComponent, "inbound", "From Adatum");
    assert.deepEqual(node.findings, { mandatory: 0, advisory: 1, rules: ["certificate-auth-preferred"] });
    assert.deepEqual(nodeOf(map.components[0] as MapComponent, "tenant", "adatum.onmicrosoft.com").findings.rules, []);
  });
});
