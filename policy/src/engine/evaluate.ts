import { type EngineConfig, type EngineConfigInput, resolveConfig } from "./config";
import type { Finding } from "./findings";
import { buildIndex } from "./inventory-index";
import type { Inventory, ResourceRef } from "./model";
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

const refKey = (ref: ResourceRef) => `${ref.kind}\u0000${ref.name}\u0000${ref.source ?? ""}\u0000${ref.urn ?? ""}`;

type Connector = { readonly kind: string; readonly name: string; readonly label: string; readonly enabled: boolean };

/**
 * Exchange Online does not use a disabled inbound connector (Enabled: false) for attribution, and a
 * disabled Send Connector routes no mail, so a finding that needs one is advisory and says so; when
 * it conflicts with an active connector, the message says what re-enabling it would break. Applied
 * here, once, to every rule's findings.
 */
function disabledAware(
  inventory: Inventory,
): (draft: Omit<Finding, "ruleId" | "severity"> & { severity?: Finding["severity"] }) => typeof draft {
  const byRef = new Map<string, Connector>();
  for (const c of inventory.inboundConnectors)
    byRef.set(refKey(c.ref), {
      kind: "Inbound connector",
      name: c.name,
      label: `inbound connector "${c.name}" (tenant "${c.tenant}")`,
      enabled: c.enabled,
    });
  for (const c of inventory.sendConnectors)
    byRef.set(refKey(c.ref), { kind: "Send connector", name: c.name, label: `send connector "${c.name}"`, enabled: c.enabled !== false });
  if ([...byRef.values()].every((c) => c.enabled)) return (draft) => draft;
  return (draft) => {
    const refs = [draft.resource, ...(draft.related ?? [])];
    const involved = refs.map((ref) => byRef.get(refKey(ref)));
    const off = involved.filter((c): c is Connector => c !== undefined && !c.enabled);
    if (off.length === 0) return draft;
    const active = involved.filter((c): c is Connector => c?.enabled === true);
    const activeOthers = refs.length - off.length;
    let message = draft.message;
    for (const connector of off) {
      const quoted = `"${connector.name}"`;
      message = message.includes(quoted)
        ? message.replaceAll(quoted, `${quoted} (disabled)`)
        : `${connector.kind} ${quoted} (disabled): ${message}`;
    }
    message +=
      active.length > 0
        ? ` Exchange Online does not use a disabled connector for attribution, so nothing breaks today; re-enabling ${off.map((c) => `"${c.name}"${c.label.includes("(tenant") ? c.label.slice(c.label.indexOf(" (tenant")) : ""}`).join(", ")} would break attribution for the active ${active.map((c) => c.label).join(", ")}: this conflict would then apply to its mail.`
        : " The connector is disabled (Enabled: false): Exchange Online does not use it for attribution, so this is advisory until it is enabled again.";
    // Still mandatory when two active parties conflict without the disabled one.
    const severity = refs.length >= 2 && activeOthers >= 2 ? draft.severity : "advisory";
    return { ...draft, message, ...(severity ? { severity } : {}) };
  };
}

/** Runs the rules over an inventory and returns the findings, mandatory first. */
export function evaluate(inventory: Inventory, config: EngineConfigInput = {}, options: EvaluateOptions = {}): Finding[] {
  const resolved = options.resolved ?? resolveConfig(config);
  const index = buildIndex(inventory);
  const selected = (options.rules ?? allRules).filter((rule) => !options.only || options.only.includes(rule.id));
  const findings: Finding[] = [];
  const adjust = disabledAware(inventory);
  for (const rule of selected) {
    const own = resolved.severity[rule.id];
    const companion = resolved.severity[policyNameOf(rule, "advisory")];
    if (own === "disabled" && companion === "disabled") continue;
    for (const original of rule.check({ inventory, index, config: resolved })) {
      const draft = adjust(original);
      // Overrides are by policy name, as in the pack: "<id>-advisory" governs a rule's advisory findings.
      const drafted = draft.severity ?? rule.defaultSeverity;
      const override = resolved.severity[policyNameOf(rule, drafted)];
      if (override === "disabled") continue;
      findings.push({ ...draft, ruleId: rule.id, severity: override ?? drafted });
    }
  }
  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "mandatory" ? -1 : 1));
}
