import type { InboundConnector, SendConnector } from "../model";
import type { Draft, Rule } from "../rule";
import { baseField, SECURITY_RELEVANT_FIELDS } from "./shared";

const KIND_NAMES = { inboundConnector: "InboundConnector", sendConnector: "SendConnector", tenant: "Tenant", certificate: "Certificate" };

/**
 * DESIGN §6: @pulumi/policy turns a read of an unknown value into an advisory, so a mandatory rule
 * would silently stop gating during preview. Instead every security-relevant field that is unknown
 * is a finding of its own, at config.unknownValues (mandatory unless configured). The other rules
 * skip checks that need the unknown value.
 */
export const securityValuesKnown: Rule = {
  id: "security-values-known",
  description: "Checks that every security-relevant value (certificate identity, IPs, domains, tenant) is known when the policy runs.",
  defaultSeverity: "mandatory",
  // @pulumi/policy would turn an unknown value into an advisory "can't run policy": fail closed instead.
  source: "CrossGuard preview semantics (unknown values)",
  scope: "connector",
  *check({ inventory, config }): Iterable<Draft> {
    const entities: (InboundConnector | SendConnector)[] = [...inventory.inboundConnectors, ...inventory.sendConnectors];
    for (const entity of entities) {
      const fields = new Set(entity.unknown.map(baseField).filter((field) => SECURITY_RELEVANT_FIELDS.has(field)));
      for (const field of fields) {
        yield {
          resource: entity.ref,
          ...(entity.unknown.includes("tenant") || !("tenant" in entity) ? {} : { tenant: entity.tenant }),
          severity: config.unknownValues,
          message: `Cannot verify ${KIND_NAMES[entity.ref.kind]} "${entity.ref.name}": '${field}' is not known during preview.`,
          remediation: `Pass '${field}' as a plain value rather than another resource's output, or run \`pulumi up\` with the gate again once it is known; to let previews pass meanwhile, set the policy config unknownValues to "advisory".`,
        };
      }
    }
  },
};
