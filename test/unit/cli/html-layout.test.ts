import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LINE_CHARS, layoutMap, MAX_DRAWN_NODES, nodeLines } from "../../../cli/html/layout";
import { buildAttributionMap, COLUMNS } from "../../../cli/html/map";
import { parseInventory } from "../../../policy/src/engine";

/** n tenants, each with its own Send Connector, all listing one sender IP. */
function sharedIp(n: number) {
  return parseInventory({
    tenants: Array.from({ length: n }, (_, i) => ({ name: `t${i}.onmicrosoft.com`, acceptedDomains: [`t${i}.com`] })),
    inboundConnectors: Array.from({ length: n }, (_, i) => ({
      ref: { kind: "inboundConnector", name: `in${i}` },
      name: `in${i}`,
      tenant: `t${i}.onmicrosoft.com`,
      connectorType: "OnPremises",
      senderIPAddresses: ["203.0.113.25"],
    })),
    sendConnectors: Array.from({ length: n }, (_, i) => ({
      ref: { kind: "sendConnector", name: `s${i}` },
      name: `s${i}`,
      tenants: [`t${i}.onmicrosoft.com`],
    })),
  });
}

describe("the map's layout (elkjs)", () => {
  it("puts each kind of node in its own column, left to right, every node inside the drawing", async () => {
    const [placed] = await layoutMap(buildAttributionMap(sharedIp(3)).components);
    assert.ok(placed?.drawn);
    const left = (kind: string) => Math.min(...placed.nodes.filter((p) => p.node.kind === kind).map((p) => p.x));
    const right = (kind: string) => Math.max(...placed.nodes.filter((p) => p.node.kind === kind).map((p) => p.x + p.width));
    const kinds = COLUMNS.filter((k) => placed.nodes.some((p) => p.node.kind === k));
    assert.deepEqual(kinds, ["sendConnector", "ip", "inbound", "tenant"]);
    for (let i = 1; i < kinds.length; i++)
      assert.ok(right(kinds[i - 1] as string) < left(kinds[i] as string), `${kinds[i - 1]} left of ${kinds[i]}`);
    for (const p of placed.nodes) assert.ok(p.x >= 0 && p.y >= 0 && p.x + p.width <= placed.width && p.y + p.height <= placed.height);
    assert.equal(placed.edges.length, 9);
    for (const e of placed.edges) assert.ok(e.points.length >= 2, `edge ${e.from} -> ${e.to} has a route`);
  });

  it("gives a part of more than MAX_DRAWN_NODES nodes in words only, and caps the names a mark lists", async () => {
    const n = Math.ceil(MAX_DRAWN_NODES / 3) + 1;
    const map = buildAttributionMap(sharedIp(n));
    const [placed] = await layoutMap(map.components);
    assert.equal(placed?.drawn, false);
    assert.deepEqual(placed?.nodes, []);
    const ip = map.components[0]?.nodes.find((node) => node.kind === "ip");
    assert.match(ip?.marks[0] ?? "", new RegExp(`^SHARED by ${n} tenants: t0\\.onmicrosoft\\.com, .* and ${n - 10} more$`));
  });

  it("cuts long names to LINE_CHARS in the drawing and lists at most four names of a mark, one a line", () => {
    const [part] = buildAttributionMap(sharedIp(6)).components;
    const ip = part?.nodes.find((node) => node.kind === "ip");
    assert.ok(ip);
    const lines = nodeLines(ip);
    assert.deepEqual(
      lines.filter((l) => l.role === "mark").map((l) => l.text),
      [
        "⚠ SHARED by 6 tenants:",
        "  t0.onmicrosoft.com",
        "  t1.onmicrosoft.com",
        "  t2.onmicrosoft.com",
        "  t3.onmicrosoft.com",
        "  … and 2 more",
      ],
    );
    const long = nodeLines({ ...ip, title: "x".repeat(100) });
    assert.equal(long[1]?.text, `${"x".repeat(LINE_CHARS - 1)}…`);
  });

  it("gives parts of the same shape the same layout, each with its own nodes and edges", async () => {
    const inventory = parseInventory({
      tenants: ["a1", "b2", "c333"].map((p) => ({ name: `${p}.onmicrosoft.com`, acceptedDomains: [`${p}.com`] })),
      inboundConnectors: ["a1", "b2", "c333"].map((p) => ({
        ref: { kind: "inboundConnector", name: `in-${p}` },
        name: `in-${p}`,
        tenant: `${p}.onmicrosoft.com`,
        connectorType: "OnPremises",
        senderIPAddresses: [`203.0.113.${p.length * 10 + p.charCodeAt(0) - 96}`],
      })),
    });
    const placed = await layoutMap(buildAttributionMap(inventory).components);
    assert.equal(placed.length, 3);
    const [a, b] = placed;
    assert.deepEqual(
      a?.nodes.map((n) => [n.x, n.y, n.width]),
      b?.nodes.map((n) => [n.x, n.y, n.width]),
    );
    assert.deepEqual(
      b?.nodes.map((n) => n.node.title),
      ["203.0.113.22", "in-b2", "b2.onmicrosoft.com"],
    );
    assert.deepEqual(
      b?.edges.map((e) => e.to),
      b?.component.edges.map((e) => e.to),
    );
    assert.equal(b?.nodes[1]?.lines[1]?.text, "in-b2");
  });
});
