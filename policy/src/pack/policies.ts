import type {
  Policies,
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { z } from "zod";
import { type EngineConfig, EngineConfigSchema, resolveConfig } from "../engine/config";
import { evaluate } from "../engine/evaluate";
import { describe, type Finding } from "../engine/findings";
import type { Rule } from "../engine/rule";
import { parsePackConfig } from "../engine/pack-config";
import { rules as allRules } from "../engine/rules";
import { type RawPackConfig, paragraphError } from "./configure-hook";
import { connectorKind, inventoryFromPulumiResources, type PulumiResourceLike } from "../sources/pulumi";

/**
 * The policy pack is an adapter: it turns Pulumi resources into the engine's inventory, runs one
 * rule per policy and reports the findings. It decides nothing itself.
 */

/** The engine config's JSON schema, converted once for every policy that offers a part of it. */
let engineConfigJsonSchema: { properties: PolicyConfigSchema["properties"] } | undefined;

function configSchemaFor(rule: Rule): PolicyConfigSchema | undefined {
  if (!rule.configKeys || rule.configKeys.length === 0) return undefined;
  engineConfigJsonSchema ??= z.toJSONSchema(EngineConfigSchema, { io: "input", target: "draft-7", unrepresentable: "any" }) as {
    properties: PolicyConfigSchema["properties"];
  };
  const { properties } = engineConfigJsonSchema;
  return { properties: Object.fromEntries(rule.configKeys.map((key) => [key, properties[key]])) as PolicyConfigSchema["properties"] };
}

/**
 * The whole policy config of this run, when the configure hook (index.ts) captured it; otherwise
 * each policy reads its own entry. Either way the engine's parser reads it, as `audit --config` does.
 */
let wholeConfig: RawPackConfig | undefined;

/** Called by the configure hook with the config the engine sent; throws (one paragraph) to refuse it. */
export function configurePack(config: RawPackConfig): void {
  engineConfigFor(config);
  wholeConfig = config;
}

const SOURCE = "mailflow-guard policy config";

/** Policy config is the same for every resource of a run: read and validate it once per distinct value. */
const resolvedConfigs = new Map<string, EngineConfig>();
function engineConfigFor(raw: object): EngineConfig {
  const key = JSON.stringify(raw);
  let resolved = resolvedConfigs.get(key);
  if (!resolved) {
    // Enforcement levels are Pulumi's to apply (a policy per level); the pack takes the settings only.
    const { severity: _levels, ...settings } = parsePackConfig(raw, SOURCE);
    resolved = resolveConfig(settings, SOURCE);
    resolvedConfigs.set(key, resolved);
  }
  return resolved;
}

function resolvedConfig(policyName: string, own: object | undefined): EngineConfig {
  try {
    return engineConfigFor(wholeConfig ?? { [policyName]: withoutLevel(own) });
  } catch (error) {
    // @pulumi/policy prints a thrown error's stack; a config mistake is one paragraph, no frames.
    throw paragraphError((error as Error).message);
  }
}

/** getConfig() adds the policy's enforcementLevel to its settings; the level is not a setting to check here. */
function withoutLevel(own: object | undefined): object {
  const { enforcementLevel: _level, ...settings } = (own ?? {}) as Record<string, unknown>;
  return settings;
}

/** One line a person reads in the `Policies:` output: the message, the fix and where. */
function violationText(finding: Finding): string {
  return describe(finding);
}

function reportAll(findings: readonly Finding[], severity: Finding["severity"], report: ReportViolation): void {
  for (const finding of findings) {
    if (finding.severity === severity) report(violationText(finding), finding.resource.urn);
  }
}

function evaluateResources(
  rule: Rule,
  policyName: string,
  resources: PulumiResourceLike[],
  rawConfig: object | undefined,
  report: ReportViolation,
): Finding[] {
  const { inventory, problems } = inventoryFromPulumiResources(resources);
  // A resource that cannot be read is not a pass: it is reported, so the gate never fails open.
  for (const problem of problems) report(`Cannot check ${problem}`);
  return evaluate(inventory, {}, { rules: [rule], resolved: resolvedConfig(policyName, rawConfig) });
}

/** What a resource policy and a stack policy of one rule have in common; only the owner of the config offers it. */
function policyFields(rule: Rule, severity: Finding["severity"], name: string, description: string) {
  const configSchema = severity === rule.defaultSeverity ? configSchemaFor(rule) : undefined;
  return { name, description, enforcementLevel: severity, ...(configSchema ? { configSchema } : {}) };
}

function resourcePolicy(rule: Rule, severity: Finding["severity"], name: string, description: string): ResourceValidationPolicy {
  return {
    ...policyFields(rule, severity, name, description),
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      if (connectorKind(args.type) === undefined) return;
      const findings = evaluateResources(
        rule,
        name,
        [{ type: args.type, name: args.name, urn: args.urn, props: args.props }],
        args.getConfig(),
        report,
      );
      reportAll(findings, severity, report);
    },
  };
}

function stackPolicy(rule: Rule, severity: Finding["severity"], name: string, description: string): StackValidationPolicy {
  return {
    ...policyFields(rule, severity, name, description),
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const resources = args.resources
        .filter((resource) => connectorKind(resource.type) !== undefined)
        .map((resource) => ({ type: resource.type, name: resource.name, urn: resource.urn, props: resource.props }));
      const findings = evaluateResources(rule, name, resources, args.getConfig(), report);
      reportAll(findings, severity, report);
    },
  };
}

/** Every rule as a policy named by its id; a rule with advisory findings also gets "<id>-advisory". */
export function buildPolicies(rules: readonly Rule[] = allRules): Policies {
  const policies: Policies = [];
  for (const rule of rules) {
    const make = rule.scope === "connector" ? resourcePolicy : stackPolicy;
    policies.push(make(rule, rule.defaultSeverity, rule.id, rule.description));
    if (rule.advisoryPart && rule.defaultSeverity === "mandatory") {
      policies.push(make(rule, "advisory", `${rule.id}-advisory`, rule.advisoryPart));
    }
  }
  return policies;
}
