import type { EngineConfigInput } from "./config";
import { SEVERITY_SETTINGS } from "./config";
import type { Rule } from "./rule";
import { rules as allRules } from "./rules";

/**
 * The policy-pack config file (`pulumi preview --policy-pack-config`, a policy group's config) read
 * as engine config. The pack and `mailflow-guard audit --config` both call this, so one file means
 * the same to both: an enforcement level per policy, and each rule's settings under its policy.
 */

/** Pulumi's key that sets the enforcement level of every policy at once. */
const ALL = "all";

/** One policy the pack serves: a rule's own, or the "<id>-advisory" companion for its advisory findings. */
export interface PackPolicy {
  readonly name: string;
  readonly rule: Rule;
  /** The settings (engine config keys) this policy offers: the rule's, on its own policy only. */
  readonly settings: readonly string[];
}

export function packPolicies(rules: readonly Rule[] = allRules): PackPolicy[] {
  const policies: PackPolicy[] = [];
  for (const rule of rules) {
    policies.push({ name: rule.id, rule, settings: rule.configKeys ?? [] });
    if (rule.advisoryPart && rule.defaultSeverity === "mandatory") policies.push({ name: `${rule.id}-advisory`, rule, settings: [] });
  }
  return policies;
}

/** The policy a finding is reported under: advisory findings of a mandatory rule go to its companion. */
export function policyNameOf(rule: Rule, draftSeverity: "mandatory" | "advisory"): string {
  return rule.advisoryPart && rule.defaultSeverity === "mandatory" && draftSeverity === "advisory" ? `${rule.id}-advisory` : rule.id;
}

/** A config file that cannot be used as given: one paragraph naming the file, the key and the fix. */
export class PackConfigError extends Error {
  override readonly name = "PackConfigError";
}

/** The closest of the candidates (edit distance), when it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const guess = nearest(word, candidates);
  return guess ? ` Did you mean "${guess}"?` : "";
}

function level(value: unknown, where: string, source: string): (typeof SEVERITY_SETTINGS)[number] {
  if (typeof value === "string" && (SEVERITY_SETTINGS as readonly string[]).includes(value))
    return value as (typeof SEVERITY_SETTINGS)[number];
  throw new PackConfigError(
    `${source}: ${where} ${JSON.stringify(value) ?? String(value)} is not an enforcement level. Use one of: ${SEVERITY_SETTINGS.join(", ")}.`,
  );
}

/**
 * Reads a policy-pack config object. Every key must be a policy of this pack (or "all"); every
 * setting must be one its policy offers. Unknown names are refused with the nearest valid one,
 * because a typo would otherwise leave the default silently in force.
 */
export function parsePackConfig(raw: unknown, source: string, rules: readonly Rule[] = allRules): EngineConfigInput {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new PackConfigError(
      `${source}: must be a JSON object with one key per policy, e.g. {"certificate-validity": {"expiryWarningDays": 30}}.`,
    );
  }
  const policies = packPolicies(rules);
  const byName = new Map(policies.map((policy) => [policy.name, policy]));
  const names = policies.map((policy) => policy.name);
  const severity: Record<string, (typeof SEVERITY_SETTINGS)[number]> = {};
  const settings: Record<string, unknown> = {};
  const entries = Object.entries(raw as Record<string, unknown>);
  // "all" first, so that a policy's own level wins over it whatever the key order in the file.
  entries.sort(([a], [b]) => (a === ALL ? -1 : b === ALL ? 1 : 0));
  for (const [name, value] of entries) {
    if (name === ALL) {
      const given = typeof value === "object" && value !== null ? (value as Record<string, unknown>).enforcementLevel : value;
      const all = level(given, `"all"`, source);
      for (const policy of names) severity[policy] = all;
      continue;
    }
    const policy = byName.get(name);
    if (!policy) {
      const owner = policies.find((other) => other.settings.includes(name));
      const hint = owner
        ? ` "${name}" is a setting of "${owner.name}": write {"${owner.name}": {"${name}": …}}.`
        : didYouMean(name, [...names, ALL]);
      throw new PackConfigError(
        `${source}: "${name}" is not a policy of the mailflow-guard pack.${hint} The policies are: ${names.join(", ")}.`,
      );
    }
    if (typeof value === "string") {
      severity[name] = level(value, `"${name}"`, source);
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new PackConfigError(
        `${source}: "${name}" must be an enforcement level (${SEVERITY_SETTINGS.join(", ")}) or an object of settings, not ${JSON.stringify(value)}.`,
      );
    }
    for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
      if (key === "enforcementLevel") {
        severity[name] = level(setting, `"${name}".enforcementLevel`, source);
        continue;
      }
      if (!policy.settings.includes(key)) {
        const offered =
          policy.settings.length > 0
            ? `Its settings are: ${policy.settings.join(", ")}, enforcementLevel.`
            : "It takes only enforcementLevel.";
        const elsewhere = policies.find((other) => other.settings.includes(key));
        const hint = elsewhere
          ? ` "${key}" is a setting of "${elsewhere.name}".`
          : didYouMean(key, [...policy.settings, "enforcementLevel"]);
        throw new PackConfigError(`${source}: "${name}" has no setting "${key}".${hint} ${offered}`);
      }
      // Two policies offer orgAssignments (inventory writes the same table under both); one engine
      // config holds one table, so two different tables would mean different things to pack and audit.
      if (key in settings && JSON.stringify(settings[key]) !== JSON.stringify(setting)) {
        throw new PackConfigError(
          `${source}: "${name}".${key} differs from the ${key} given to another policy. Give every policy the same ${key} (mailflow-guard inventory writes it so).`,
        );
      }
      settings[key] = setting;
    }
  }
  return { ...settings, ...(Object.keys(severity).length > 0 ? { severity } : {}) } as EngineConfigInput;
}
