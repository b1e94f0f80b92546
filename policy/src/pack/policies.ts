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
import { type EngineConfig, type EngineConfigInput, EngineConfigSchema, resolveConfig } from "../engine/config";
import { evaluate } from "../engine/evaluate";
import { describe, type Finding } from "../engine/findings";
import type { Rule } from "../engine/rule";
import { rules as allRules } from "../engine/rules";
import { INBOUND_CONNECTOR_TYPE, inventoryFromPulumiResources, type PulumiResourceLike, SEND_CONNECTOR_TYPE } from "../sources/pulumi";

/**
 * The policy pack is an adapter: it turns Pulumi resources into the engine's inventory, runs one
 * rule per policy and reports the findings. It decides nothing itself.
 */

const OWN_TYPES = new Set([INBOUND_CONNECTOR_TYPE, SEND_CONNECTOR_TYPE]);

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

/** The policy config Pulumi passes (the rule's keys plus enforcementLevel) as engine config. */
function engineConfig(rule: Rule, raw: object | undefined): EngineConfigInput {
  const picked: Record<string, unknown> = {};
  const given = (raw ?? {}) as Record<string, unknown>;
  for (const key of rule.configKeys ?? []) if (given[key] !== undefined) picked[key] = given[key];
  return picked as EngineConfigInput;
}

/** Policy config is the same for every resource of a run: validate it once per distinct value. */
const resolvedConfigs = new Map<string, EngineConfig>();
function resolvedConfig(rule: Rule, rawConfig: object | undefined): EngineConfig {
  const config = engineConfig(rule, rawConfig);
  const key = `${rule.id}\u0000${JSON.stringify(config)}`;
  let resolved = resolvedConfigs.get(key);
  if (!resolved) {
    resolved = resolveConfig(config, `policy config of ${rule.id}`);
    resolvedConfigs.set(key, resolved);
  }
  return resolved;
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

function evaluateResources(rule: Rule, resources: PulumiResourceLike[], rawConfig: object | undefined, report: ReportViolation): Finding[] {
  const { inventory, problems } = inventoryFromPulumiResources(resources);
  // A resource that cannot be read is not a pass: it is reported, so the gate never fails open.
  for (const problem of problems) report(`Cannot check ${problem}`);
  return evaluate(inventory, {}, { rules: [rule], resolved: resolvedConfig(rule, rawConfig) });
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
      if (!OWN_TYPES.has(args.type)) return;
      const findings = evaluateResources(
        rule,
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
        .filter((resource) => OWN_TYPES.has(resource.type))
        .map((resource) => ({ type: resource.type, name: resource.name, urn: resource.urn, props: resource.props }));
      const findings = evaluateResources(rule, resources, args.getConfig(), report);
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
