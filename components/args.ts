import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CLOUD_NAMES, CLOUDS } from "../policy/src/engine/clouds";
import { evaluate } from "../policy/src/engine/evaluate";
import { InputError } from "../policy/src/engine/errors";
import { connectorNameProblem, EXCHANGE_NAME_MAX_LENGTH, hostNameProblem } from "../policy/src/engine/exchange-values";
import { describe, type Finding } from "../policy/src/engine/findings";
import { ExchangeOnlineConnectionSchema } from "./providers/connection";
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

/** The shortest room for a value in a derived name: below it the name stops being recognisable. */
const MIN_DERIVED_ROOM = 16;

/**
 * A connector name the component builds from an argument (e.g. "Inbound from on-premises (<certificateName>)").
 * The value is often one the admin cannot choose (a vendor's per-customer certificate name), so when the name
 * would be longer than Exchange takes, the value is shortened deterministically: its start, "~" and 6 hex
 * digits of its SHA-256 (unique per value, the same on every run). Only a fixed part that leaves no room is
 * an error, and it names the argument that sets the connector name instead.
 */
export function derivedConnectorName(
  template: (value: string) => string,
  field: string,
  value: string,
  fixed: { field: string; value: string; override: string },
): string {
  const name = template(value);
  if (name.length <= EXCHANGE_NAME_MAX_LENGTH) return name;
  const room = EXCHANGE_NAME_MAX_LENGTH - template("").length;
  if (room < MIN_DERIVED_ROOM) {
    throw new InputError(
      fixed.field,
      fixed.value,
      `leaves ${Math.max(room, 0)} of Exchange's ${EXCHANGE_NAME_MAX_LENGTH} characters for ${field} in the connector name "${template(`<${field}>`)}". Give a shorter ${fixed.field}, or set ${fixed.override} (at most ${EXCHANGE_NAME_MAX_LENGTH} characters).`,
    );
  }
  const digest = createHash("sha256").update(value).digest("hex").slice(0, 6);
  return template(`${value.slice(0, room - 7)}~${digest}`);
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

/** A value the program gives as an Output or a Promise: known only when it resolves. */
const deferred = (value: unknown) => pulumi.Output.isInstance(value) || value instanceof Promise;
const PLACEHOLDER_CERTIFICATE = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----";
const PLACEHOLDER_KEY = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----";

/**
 * The connection's plain values with every deferred one replaced by a valid stand-in, so that the
 * providers' own schema (ExchangeOnlineConnectionSchema, what `up` checks) judges at preview
 * everything that is already known; the rest is checked when it resolves (withCloudDefaults).
 */
function knownPart(value: Record<string, unknown>): Record<string, unknown> {
  const app = value.app;
  const appStandIn = { clientId: "deferred", certificatePem: PLACEHOLDER_CERTIFICATE, privateKeyPem: PLACEHOLDER_KEY };
  return {
    ...value,
    ...(deferred(value.endpoint) ? { endpoint: "https://deferred.invalid" } : {}),
    ...(deferred(value.token) ? { token: "deferred" } : {}),
    ...(app === undefined
      ? {}
      : deferred(app)
        ? { app: appStandIn }
        : {
            app: Object.fromEntries(
              Object.entries(app as Record<string, unknown>).map(([key, field]) => [
                key,
                deferred(field) ? ((appStandIn as Record<string, unknown>)[key] ?? "https://deferred.invalid") : field,
              ]),
            ),
          }),
  };
}

/** Issues of a resolved (or partly known) connection, at their own paths, messages as `up` would give them. */
export function exchangeOnlineIssues(value: Record<string, unknown>): { path: PropertyKey[]; message: string }[] {
  const parsed = ExchangeOnlineConnectionSchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
}

/** The check of a connection given as Outputs, once they resolve (at preview too: config secrets are known then). */
export function resolvedConnectionCheck(component: string, name: string, parent: pulumi.Resource) {
  return (connection: Record<string, unknown>): void => {
    const issues = exchangeOnlineIssues(connection);
    if (issues.length > 0)
      throw argumentError(
        `Invalid arguments for ${component} "${name}":\n${issues.map((i) => `✖ ${i.message}\n  → at exchangeOnline${i.path.map((p) => `.${String(p)}`).join("")}`).join("\n")}`,
        parent,
      );
  };
}

export const ExchangeOnlineArgsSchema = z
  .custom<ExchangeOnlineArgs>(
    (value) => value !== undefined && value !== null,
    "exchangeOnline is required: { endpoint, token } or { endpoint, app: { clientId, certificatePem, privateKeyPem } }",
  )
  .superRefine((value, ctx) => {
    if (deferred(value) || typeof value !== "object") return;
    for (const issue of exchangeOnlineIssues(knownPart(value as Record<string, unknown>))) ctx.addIssue({ code: "custom", ...issue });
  });

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
 * Said under a refusal: the component ran the pack's rules itself and registered nothing, so a
 * policy pack in the same preview saw none of these connectors and shows ✅ (issue 18).
 */
export const NOT_REGISTERED =
  "The component checked these connectors with the policy pack's rules before registering them, so a policy pack in this preview did not see them: its ✅ does not cover them.";

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
      `${component} "${name}" would create a configuration that breaks tenant attribution; nothing was created:\n${blocking.map((f) => `- [${f.ruleId}] ${describe(f)}`).join("\n")}\n${NOT_REGISTERED}`,
      parent,
    );
  }
  for (const finding of findings) pulumi.log.warn(`[${finding.ruleId}] ${describe(finding)}`, parent);
  return findings;
}
