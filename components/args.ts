import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { evaluate } from "../policy/src/engine/evaluate";
import { describe, type Finding } from "../policy/src/engine/findings";
import { inventoryFromPulumiResources, type PulumiResourceLike } from "../policy/src/sources/pulumi";

/** Schemas shared by the components' args. Security-relevant values must be plain, not Outputs. */

const plainString = (what: string) =>
  z.string({ error: `${what} must be a plain string (not a pulumi.Output): the policy gate must be able to read it at preview` });

export const TenantArgsSchema = z
  .object({
    /** The tenant's initial domain, e.g. contoso.onmicrosoft.com. */
    name: plainString("tenant.name").regex(
      /^[a-z0-9-]+\.onmicrosoft\.(com|us|de)$/i,
      "tenant.name must be the tenant's initial domain, such as contoso.onmicrosoft.com",
    ),
    /** The tenant's accepted domains (Get-AcceptedDomain); the certificate name must be one of them. */
    acceptedDomains: z
      .array(plainString("tenant.acceptedDomains[]"))
      .min(1, "tenant.acceptedDomains must list at least one accepted domain"),
  })
  .strict();

export const CertificateArgsSchema = z
  .object({
    /** The public certificate (PEM). Never the private key: it stays on the Exchange servers. */
    pem: plainString("certificate.pem"),
  })
  .strict();

/** Existing, unmanaged connectors of a tenant to take over by name (a brownfield migration; what `mailflow-guard plan` writes). */
export const AdoptArgsSchema = z
  .object({
    /** Name of the tenant's existing OnPremises inbound connector. */
    inboundConnector: z.string().min(1).optional(),
    /** Name of the existing on-premises Send Connector that becomes this tenant's own. */
    sendConnector: z.string().min(1).optional(),
  })
  .strict();

/** How to reach Exchange Online; the token and the app key may be secret Outputs. */
export interface ExchangeOnlineArgs {
  /** Admin REST endpoint base URL; default https://outlook.office365.com. */
  endpoint?: pulumi.Input<string>;
  /** Bearer token (the local stand-in accepts any). */
  token?: pulumi.Input<string>;
  /** App-only certificate authentication (Exchange.ManageAsApp). */
  app?: pulumi.Input<{
    tenantId?: pulumi.Input<string>;
    clientId: pulumi.Input<string>;
    certificatePem: pulumi.Input<string>;
    privateKeyPem: pulumi.Input<string>;
    authorityHost?: pulumi.Input<string>;
  }>;
  maxRetries?: number;
  retryBudgetMs?: number;
}

export const ExchangeOnlineArgsSchema = z.custom<ExchangeOnlineArgs>(
  (value) => value !== undefined && value !== null,
  "exchangeOnline is required: { endpoint, token } or { endpoint, app: { clientId, certificatePem, privateKeyPem } }",
);

export const OnPremisesArgsSchema = z
  .object({
    /** The command that runs Exchange Management Shell scripts from stdin; default pwsh. */
    shell: z.array(z.string().min(1)).min(1).optional(),
    /** Extra environment for the shell command (e.g. the stand-in's state file). */
    shellEnv: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** Parses component args; on failure a ResourceError lists every problem under the component's name. */
export function parseArgs<T extends z.ZodType>(
  schema: T,
  args: unknown,
  component: string,
  name: string,
  parent: pulumi.Resource,
): z.output<T> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    throw new pulumi.ResourceError(`Invalid arguments for ${component} "${name}":\n${z.prettifyError(parsed.error)}`, parent);
  }
  return parsed.data;
}

/**
 * The components' fail-fast check: the resources they are about to create, read by the same
 * normalizer and rules as the policy pack. Mandatory findings stop the program before anything
 * is created.
 */
export function checkBeforeCreate(resources: PulumiResourceLike[], component: string, name: string, parent: pulumi.Resource): Finding[] {
  const { inventory, problems } = inventoryFromPulumiResources(resources);
  if (problems.length > 0) {
    throw new pulumi.ResourceError(`Invalid arguments for ${component} "${name}":\n${problems.join("\n")}`, parent);
  }
  const findings = evaluate(inventory);
  const blocking = findings.filter((finding) => finding.severity === "mandatory");
  if (blocking.length > 0) {
    throw new pulumi.ResourceError(
      `${component} "${name}" would create a configuration that breaks tenant attribution; nothing was created:\n${blocking.map((f) => `- [${f.ruleId}] ${describe(f)}`).join("\n")}`,
      parent,
    );
  }
  for (const finding of findings) pulumi.log.warn(`[${finding.ruleId}] ${describe(finding)}`, parent);
  return findings;
}
