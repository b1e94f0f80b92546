import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CLOUD_NAMES, CLOUDS } from "../policy/src/engine/clouds";
import { evaluate } from "../policy/src/engine/evaluate";
import { InputError } from "../policy/src/engine/errors";
import { connectorNameProblem, EXCHANGE_NAME_MAX_LENGTH, hostNameProblem } from "../policy/src/engine/exchange-values";
import { describe, type Finding } from "../policy/src/engine/findings";
import type { ExchangeOnlineArgs } from "./types";
import { inventoryFromPulumiResources, type PulumiResourceLike } from "../policy/src/sources/pulumi";

/** Schemas shared by the components' args. Security-relevant values must be plain, not Outputs. */

const plainString = (what: string) =>
  z.string({ error: `${what} must be a plain string (not a pulumi.Output): the policy gate must be able to read it at preview` });

/** Turns one of the engine's Exchange value checks into a zod refinement at the argument's own path. */
function refuse(problem: string | undefined, ctx: z.RefinementCtx): void {
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
}

/** A connector name Exchange takes: one line, at most 64 characters. */
export const connectorName = (field: string) => z.string().superRefine((value, ctx) => refuse(connectorNameProblem(field, value), ctx));

/** A fully qualified host name, such as the FQDN a Send Connector announces. */
export const fqdnArg = (field: string) =>
  z.string().superRefine((value, ctx) => refuse(hostNameProblem(field, value, { fqdn: true, example: "relay.contoso.com" }), ctx));

/** Exchange transport server names (Get-ExchangeServer), at least one. */
export const transportServers = (field: string) =>
  z
    .array(z.string())
    .min(1, `${field} must name at least one server`)
    .superRefine((servers, ctx) => {
      for (const [i, server] of servers.entries()) {
        refuse(hostNameProblem(`${field}[${i}]`, server, { fqdn: false, example: "EX01 or ex01.contoso.com" }), ctx);
      }
    });

/**
 * A connector name the component builds from an argument (e.g. "Inbound from on-premises (<certificateName>)"):
 * when it is longer than Exchange takes, the argument that made it so is named, with how long it may be.
 */
export function derivedConnectorName(template: (value: string) => string, field: string, value: string): string {
  const name = template(value);
  if (name.length > EXCHANGE_NAME_MAX_LENGTH) {
    const room = EXCHANGE_NAME_MAX_LENGTH - template("").length;
    throw new InputError(
      field,
      value,
      `makes the connector name "${template(`<${field}>`)}" ${name.length} characters long; Exchange connector names are at most ${EXCHANGE_NAME_MAX_LENGTH}, so ${field} can have at most ${room} characters here.`,
    );
  }
  return name;
}

/** An initial domain of a tenant in any cloud of the engine's table: <name>.<tenantSuffix>. */
const INITIAL_DOMAIN = new RegExp(
  `^[a-z0-9-]+\\.(${[...new Set(CLOUD_NAMES.map((name) => CLOUDS[name].tenantSuffix))].map((suffix) => suffix.replaceAll(".", "\\.")).join("|")})$`,
  "i",
);

export const TenantArgsSchema = z
  .object({
    /** The tenant's initial domain, e.g. contoso.onmicrosoft.com. */
    name: plainString("tenant.name").regex(
      INITIAL_DOMAIN,
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

export type { ExchangeOnlineArgs };

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

/**
 * The error a bad argument raises: a ResourceError with its stack hidden. Pulumi's Node.js host
 * prints a plain Error, or a ResourceError without hideStack, through util.inspect: the stack
 * trace and every field of the component object (~70 lines). A person needs the message only.
 */
export function argumentError(message: string, parent: pulumi.Resource): pulumi.ResourceError {
  const error = new pulumi.ResourceError(message, parent, true);
  // Thrown inside an apply (the Exchange Online check before a pair is created), the SDK reports the
  // error with its stack: the message is all a person needs.
  error.stack = message;
  return error;
}

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
    throw argumentError(`Invalid arguments for ${component} "${name}":\n${z.prettifyError(parsed.error)}`, parent);
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
    throw argumentError(`Invalid arguments for ${component} "${name}":\n${problems.join("\n")}`, parent);
  }
  const findings = evaluate(inventory);
  const blocking = findings.filter((finding) => finding.severity === "mandatory");
  if (blocking.length > 0) {
    throw argumentError(
      `${component} "${name}" would create a configuration that breaks tenant attribution; nothing was created:\n${blocking.map((f) => `- [${f.ruleId}] ${describe(f)}`).join("\n")}`,
      parent,
    );
  }
  for (const finding of findings) pulumi.log.warn(`[${finding.ruleId}] ${describe(finding)}`, parent);
  return findings;
}
