import type { Finding } from "../policy/src/engine";

/**
 * The cross-tenant findings of both implementations as comparable keys: which certificate or name
 * serves which tenants, and which pair of sender blocks overlap (or which block sits in an Exchange
 * Online range). The engine's messages quote the values; the Rego returns them as fields.
 */

export const CROSS_TENANT_RULES = ["certificate-not-shared-across-tenants", "sender-ip-not-shared"] as const;

const THUMBPRINT = /^Certificate ([0-9A-F]{40}) is used for \d+ tenants: (.+)\.$/;
const NAME = /^Certificate name "([^"]+)" is used for \d+ tenants: (.+?)\. Exchange Online/;
const IP =
  /^'SenderIPAddresses' entry "([^"]+)" of inbound connector "([^"]+)" \(tenant "([^"]+)"\) overlaps "([^"]+)" (?:of inbound connector "([^"]+)" \(tenant "([^"]+)"\)|in Exchange Online range ([0-9./]+), which)/;

function tenantsOf(list: string): string {
  return [...list.matchAll(/"([^"]+)"/g)]
    .map((m) => m[1])
    .sort()
    .join(",");
}

function canonicalBlock(block: string): string {
  return block.endsWith("/32") ? block.slice(0, -3) : block;
}

export function engineKeys(findings: readonly Finding[]): string[] {
  const keys: string[] = [];
  for (const finding of findings) {
    if (finding.ruleId === "certificate-not-shared-across-tenants") {
      const t = THUMBPRINT.exec(finding.message);
      const n = NAME.exec(finding.message);
      if (t) keys.push(`thumbprint ${t[1]} ${tenantsOf(t[2] as string)}`);
      else if (n) keys.push(`name ${n[1]} ${tenantsOf(n[2] as string)}`);
      else keys.push(`unparsed ${finding.message}`);
    } else if (finding.ruleId === "sender-ip-not-shared") {
      const m = IP.exec(finding.message);
      if (!m) {
        keys.push(`unparsed ${finding.message}`);
        continue;
      }
      const mine = `${m[3]}|${m[2]}|${canonicalBlock(m[1] as string)}`;
      if (m[7]) keys.push(`shared-range ${mine} ${m[7]}`);
      else keys.push(`ip-pair ${[mine, `${m[6]}|${m[5]}|${canonicalBlock(m[4] as string)}`].sort().join(" ")}`);
    }
  }
  return keys.sort();
}

interface RegoViolation {
  rule: string;
  thumbprint?: string;
  name?: string;
  tenants?: string[];
  pair?: string[];
  claim?: string;
  range?: string;
}

function canonicalClaim(key: string): string {
  const [tenant, connector, block] = key.split("|");
  return `${tenant}|${connector}|${canonicalBlock(block ?? "")}`;
}

export function regoKeys(violations: readonly RegoViolation[]): string[] {
  return violations
    .map((v) => {
      switch (v.rule) {
        case "certificate-thumbprint":
          return `thumbprint ${v.thumbprint} ${[...(v.tenants ?? [])].sort().join(",")}`;
        case "certificate-name":
          return `name ${v.name} ${[...(v.tenants ?? [])].sort().join(",")}`;
        case "sender-ip-overlap":
          return `ip-pair ${(v.pair ?? []).map(canonicalClaim).sort().join(" ")}`;
        case "sender-ip-shared-range":
          return `shared-range ${canonicalClaim(v.claim ?? "")} ${v.range}`;
        default:
          return `unknown ${JSON.stringify(v)}`;
      }
    })
    .sort();
}

/** Keys in one list and not the other (multiset difference), for the report. */
export function diffKeys(a: readonly string[], b: readonly string[]): { onlyA: string[]; onlyB: string[] } {
  const count = new Map<string, number>();
  for (const k of b) count.set(k, (count.get(k) ?? 0) + 1);
  const onlyA: string[] = [];
  for (const k of a) {
    const n = count.get(k) ?? 0;
    if (n > 0) count.set(k, n - 1);
    else onlyA.push(k);
  }
  const onlyB = [...count].flatMap(([k, n]) => Array<string>(n).fill(k));
  return { onlyA, onlyB };
}
