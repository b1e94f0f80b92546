import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  classifySenderAddress,
  evaluate,
  type Ipv4Block,
  nameCovers,
  overlaps,
  parseInventory,
  resolveConfig,
} from "../../../policy/src/engine";
import { conflicting, overlappingPairs, senderClaims } from "../../../policy/src/engine/rules/sender-ip-not-shared";

const BASE = [203, 0, 112]; // blocks inside 203.0.112.0/20

/** A CIDR inside a /20, written as text the way a user would. */
const cidrInSlash20 = fc
  .record({ offset: fc.integer({ min: 0, max: 4095 }), prefix: fc.integer({ min: 20, max: 32 }) })
  .map(({ offset, prefix }) => `${BASE[0]}.${BASE[1]}.${(BASE[2] as number) + (offset >> 8)}.${offset & 255}/${prefix}`);

function block(text: string): Ipv4Block {
  const parsed = classifySenderAddress(text);
  assert.equal(parsed.kind, "ipv4", text);
  return (parsed as { block: Ipv4Block }).block;
}

function addresses(b: Ipv4Block): Set<number> {
  const set = new Set<number>();
  for (let n = b.first; n <= b.last; n++) set.add(n);
  return set;
}

/** RFC 6125 written label by label, as a reference for nameCovers. */
function referenceCovers(presented: string, host: string): boolean {
  const p = presented.split(".");
  const h = host.split(".");
  if (p.length !== h.length) return false;
  if (h[0] === "*") return p.every((label, i) => label === h[i]);
  return p.every((label, i) => label === h[i] || (i === 0 && label === "*"));
}

describe("properties", () => {
  it("overlaps agrees with enumerating the addresses of both blocks", () => {
    fc.assert(
      fc.property(cidrInSlash20, cidrInSlash20, (a, b) => {
        const [x, y] = [block(a), block(b)];
        const ys = addresses(y);
        const shared = [...addresses(x)].some((n) => ys.has(n));
        assert.equal(overlaps(x, y), shared, `${a} ${b}`);
      }),
      { numRuns: 300 },
    );
  });

  it("nameCovers agrees with a label-by-label reference", () => {
    const label = fc.constantFrom("a", "b", "relay", "xn--bcher-kva");
    const name = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => [...labels, "example"].join("."));
    const maybeWildcard = fc.tuple(fc.boolean(), name).map(([wild, n]) => (wild ? `*.${n}` : n));
    fc.assert(
      fc.property(maybeWildcard, maybeWildcard, (presented, host) => {
        assert.equal(nameCovers(presented, host), referenceCovers(presented, host), `${presented} ${host}`);
      }),
      { numRuns: 1000 },
    );
  });

  it("the sweep finds exactly the conflicting pairs a naive pairwise comparison finds", () => {
    let runsWithPairs = 0;
    const tenant = fc.constantFrom("contoso", "fabrikam", "tailspin");
    const connector = fc.record({ tenant, ips: fc.array(cidrInSlash20, { maxLength: 4 }) });
    const inventory = fc.array(connector, { minLength: 1, maxLength: 6 });
    const org = fc.array(fc.record({ tenant: fc.constantFrom("northwind", "contoso", "woodgrove"), ip: cidrInSlash20 }), { maxLength: 3 });
    const shared = fc.array(cidrInSlash20, { maxLength: 2 });
    fc.assert(
      fc.property(inventory, org, shared, (connectors, orgRows, sharedRanges) => {
        const parsed = parseInventory({
          inboundConnectors: connectors.map((c, i) => ({
            ref: { kind: "inboundConnector", name: `c${i}` },
            name: `c${i}`,
            tenant: `${c.tenant}.onmicrosoft.com`,
            connectorType: "OnPremises",
            senderIPAddresses: c.ips,
          })),
        });
        const tenants: Record<string, { senderIPAddresses: string[] }> = {};
        for (const row of orgRows) {
          const key = `${row.tenant}.onmicrosoft.com`;
          tenants[key] = { senderIPAddresses: [...(tenants[key]?.senderIPAddresses ?? []), row.ip] };
        }
        const config = resolveConfig({ knownSharedRanges: sharedRanges, orgAssignments: { version: 1, tenants } });
        const claims = senderClaims(parsed, config);
        const naive: string[] = [];
        for (let i = 0; i < claims.length; i++) {
          for (let j = i + 1; j < claims.length; j++) {
            const [a, b] = [claims[i], claims[j]] as const;
            if (a && b && overlaps(a.block, b.block) && conflicting(a, b)) naive.push([a.order, b.order].sort((x, y) => x - y).join("-"));
          }
        }
        const swept = overlappingPairs(claims).map(([a, b]) => [a.order, b.order].sort((x, y) => x - y).join("-"));
        assert.deepEqual(swept.sort(), naive.sort());
        // The rule reports each such pair once, on the connector side.
        const findings = evaluate(parsed, {}, { only: ["sender-ip-not-shared"], resolved: config });
        assert.equal(findings.length, naive.length);
        runsWithPairs += naive.length > 0 ? 1 : 0;
      }),
      { numRuns: 300 },
    );
    assert.ok(runsWithPairs > 50, `only ${runsWithPairs} generated inventories had a conflict`);
  });
});
