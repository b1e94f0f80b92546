import { type EngineConfig, type EngineConfigInput, resolveConfig } from "./config";
import type { Finding } from "./findings";
import { buildIndex } from "./inventory-index";
import type { Inventory } from "./model";
import { policyNameOf } from "./pack-config";
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
    const own = resolved.severity[rule.id];
    const companion = resolved.severity[policyNameOf(rule, "advisory")];
    if (own === "disabled" && companion === "disabled") continue;
    for (const draft of rule.check({ inventory, index, config: resolved })) {
      // Overrides are by policy name, as in the pack: "<id>-advisory" governs a rule's advisory findings.
      const drafted = draft.severity ?? rule.defaultSeverity;
      const override = resolved.severity[policyNameOf(rule, drafted)];
      if (override === "disabled") continue;
      findings.push({ ...draft, ruleId: rule.id, severity: override ?? drafted });
    }
  }
  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "mandatory" ? -1 : 1));
}
