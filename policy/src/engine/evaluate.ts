import { type EngineConfig, type EngineConfigInput, resolveConfig } from "./config";
import type { Finding } from "./findings";
import { buildIndex } from "./inventory-index";
import type { Inventory } from "./model";
import type { Rule } from "./rule";
import { rules as allRules } from "./rules";

export interface EvaluateOptions {
  /** Only these rules (ids); default all. */
  readonly only?: readonly string[];
  /** A config already resolved (the pack resolves once per run). */
  readonly resolved?: EngineConfig;
  readonly rules?: readonly Rule[];
}

/** Runs the rules over an inventory and returns the findings, mandatory first. */
export function evaluate(inventory: Inventory, config: EngineConfigInput = {}, options: EvaluateOptions = {}): Finding[] {
  const resolved = options.resolved ?? resolveConfig(config);
  const index = buildIndex(inventory);
  const selected = (options.rules ?? allRules).filter((rule) => !options.only || options.only.includes(rule.id));
  const findings: Finding[] = [];
  for (const rule of selected) {
    const override = resolved.severity[rule.id];
    if (override === "disabled") continue;
    for (const draft of rule.check({ inventory, index, config: resolved })) {
      const severity = override ?? draft.severity ?? rule.defaultSeverity;
      findings.push({ ...draft, ruleId: rule.id, severity });
    }
  }
  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "mandatory" ? -1 : 1));
}
