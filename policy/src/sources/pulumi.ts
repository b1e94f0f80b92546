import type { z } from "zod";
import { InputError } from "../engine/errors";
import {
  type Certificate,
  certificateFromPem,
  type InboundConnector,
  InboundConnectorSchema,
  type Inventory,
  type ResourceRef,
  type SendConnector,
  SendConnectorSchema,
  type Tenant,
  TenantSchema,
} from "../engine/model";

/**
 * One normalizer for Pulumi resources, whichever way they arrive: the policy pack's resource
 * props during preview/up (where unknown values throw on access) and `pulumi stack export`
 * resources (plain JSON). Only mailflow-guard's own custom resources are read.
 */

export const INBOUND_CONNECTOR_TYPE = "mailflow:exchange:InboundConnector";
export const SEND_CONNECTOR_TYPE = "mailflow:exchange:SendConnector";
/** The dynamic-provider types of mailflow-guard 0.1.x, still read for stacks not yet upgraded. */
export const LEGACY_INBOUND_CONNECTOR_TYPE = "pulumi-nodejs:dynamic/mailflow:InboundConnector";
export const LEGACY_SEND_CONNECTOR_TYPE = "pulumi-nodejs:dynamic/mailflow:SendConnector";

/** Which of mailflow-guard's connectors a resource type is, current or 0.1.x; undefined for any other type. */
export function connectorKind(type: string): "inbound" | "send" | undefined {
  if (type === INBOUND_CONNECTOR_TYPE || type === LEGACY_INBOUND_CONNECTOR_TYPE) return "inbound";
  if (type === SEND_CONNECTOR_TYPE || type === LEGACY_SEND_CONNECTOR_TYPE) return "send";
  return undefined;
}

export interface PulumiResourceLike {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  /** Inputs or outputs; may be the @pulumi/policy proxy that throws on unknown values. */
  readonly props: Record<string, unknown>;
}

export interface PulumiInventory {
  readonly inventory: Inventory;
  /** Resources that could not be read, each with a message naming the resource and field. */
  readonly problems: readonly string[];
}

const UNKNOWN = Symbol("unknown");
/** The engine's marker for a value not known until apply, as stack exports and providers see it. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** @pulumi/policy throws UnknownValueError when a value is not known during preview. */
function isUnknownValueError(error: unknown): boolean {
  return error instanceof Error && (error.constructor.name === "UnknownValueError" || "unknownTypeSentinel" in error);
}

/** Deep-copies one prop, or UNKNOWN when it (or anything inside it) is not known yet. */
function read(props: Record<string, unknown>, key: string): unknown {
  try {
    return plain(props[key]);
  } catch (error) {
    if (isUnknownValueError(error)) return UNKNOWN;
    throw error;
  }
}

function plain(value: unknown): unknown {
  // Index access only: array methods on the policy SDK's proxy trip over its traps.
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(plain(value[i]));
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key]);
    return out;
  }
  // The engine's own "unknown" marker in stack exports / mocks.
  if (value === UNKNOWN_VALUE) throw Object.assign(new Error("unknown"), { unknownTypeSentinel: value });
  return value;
}

/** Reads the listed keys; returns the plain values and which of them were unknown. */
function readAll(props: Record<string, unknown>, keys: readonly string[]): { values: Record<string, unknown>; unknown: string[] } {
  const values: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const key of keys) {
    const value = read(props, key);
    if (value === UNKNOWN) unknown.push(key);
    else if (value !== undefined && value !== null) values[key] = value;
  }
  return { values, unknown };
}

const INBOUND_KEYS = [
  "name",
  "tenant",
  "acceptedDomains",
  "connectorType",
  "enabled",
  "tlsSenderCertificateName",
  "senderIPAddresses",
  "senderDomains",
  "requireTls",
  "restrictDomainsToCertificate",
  "restrictDomainsToIPAddresses",
  "treatMessagesAsInternal",
  "cloudServicesMailEnabled",
  "addOnService",
  "certificateThumbprint",
] as const;

const SEND_KEYS = [
  "name",
  "tenants",
  "addressSpaces",
  "smartHosts",
  "dnsRoutingEnabled",
  "requireTls",
  "tlsAuthLevel",
  "tlsDomain",
  "tlsCertificateName",
  "cloudServicesMailEnabled",
  "sourceTransportServers",
  "fqdn",
  "certificateThumbprint",
  "certificatePem",
] as const;

function issues(error: z.ZodError, resource: string): string {
  return error.issues.map((issue) => `${resource}: '${issue.path.join(".") || "(props)"}' ${issue.message}`).join("\n");
}

/** What one resource contributes to the inventory. */
interface Normalized {
  readonly inbound?: InboundConnector;
  readonly send?: SendConnector;
  readonly tenant?: Tenant;
  readonly certificate?: Certificate;
  readonly problems: readonly string[];
}

function normalizeInbound(
  resource: PulumiResourceLike,
  values: Record<string, unknown>,
  unknown: string[],
  ref: ResourceRef,
  label: string,
  source?: string,
): Normalized {
  const { acceptedDomains, ...connector } = values;
  if (unknown.includes("tenant")) {
    // Without the tenant nothing about the path can be checked; the unknown-value rule reports it.
    connector.tenant = "unknown.invalid";
  }
  const parsed = InboundConnectorSchema.safeParse({ ...connector, name: connector.name ?? resource.name, ref, unknown });
  if (!parsed.success) return { problems: [issues(parsed.error, label)] };
  if (unknown.includes("tenant") || unknown.includes("acceptedDomains") || !Array.isArray(acceptedDomains)) {
    return { inbound: parsed.data, problems: [] };
  }
  const tenant = TenantSchema.safeParse({ name: parsed.data.tenant, acceptedDomains, ...(source ? { source } : {}) });
  return tenant.success
    ? { inbound: parsed.data, tenant: tenant.data, problems: [] }
    : { inbound: parsed.data, problems: [issues(tenant.error, label)] };
}

function normalizeSend(
  resource: PulumiResourceLike,
  values: Record<string, unknown>,
  unknown: string[],
  ref: ResourceRef,
  label: string,
): Normalized {
  const { certificatePem, ...connector } = values;
  const problems: string[] = [];
  let certificate: Certificate | undefined;
  let thumbprint = connector.certificateThumbprint as string | undefined;
  if (typeof certificatePem === "string") {
    try {
      certificate = certificateFromPem(certificatePem, `${label}.certificatePem`, {
        ref: { kind: "certificate", name: `${resource.name} certificate`, ...(resource.urn ? { urn: resource.urn } : {}) },
      });
      thumbprint ??= certificate.thumbprint;
    } catch (error) {
      problems.push(error instanceof InputError ? error.message : String(error));
    }
  }
  const parsed = SendConnectorSchema.safeParse({
    ...connector,
    ...(thumbprint ? { certificateThumbprint: thumbprint } : {}),
    name: connector.name ?? resource.name,
    ref,
    unknown,
  });
  if (!parsed.success) return { problems: [...problems, issues(parsed.error, label)] };
  return { send: parsed.data, ...(certificate ? { certificate } : {}), problems };
}

/**
 * The policy pack asks for the same resources once per policy; parsing a certificate and
 * validating a connector are the expensive part, so results are kept by the resource's exact
 * content (URN and values), never by identity alone: a changed value is normalized anew.
 */
const memo = new Map<string, Normalized>();
const MEMO_LIMIT = 50_000;

function normalize(resource: PulumiResourceLike, source?: string): Normalized {
  const inbound = connectorKind(resource.type) === "inbound";
  const { values, unknown } = readAll(resource.props, inbound ? INBOUND_KEYS : SEND_KEYS);
  const key = JSON.stringify([resource.type, resource.name, resource.urn ?? null, source ?? null, values, unknown]);
  const known = memo.get(key);
  if (known) return known;
  const ref: ResourceRef = {
    kind: inbound ? "inboundConnector" : "sendConnector",
    name: resource.name,
    ...(resource.urn ? { urn: resource.urn } : {}),
    ...(source ? { source } : {}),
  };
  const label = `${inbound ? "InboundConnector" : "SendConnector"} "${resource.name}"`;
  const result = inbound
    ? normalizeInbound(resource, values, unknown, ref, label, source)
    : normalizeSend(resource, values, unknown, ref, label);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, result);
  return result;
}

/** Builds the inventory from Pulumi resources; unknown fields are recorded, never guessed. */
export function inventoryFromPulumiResources(resources: Iterable<PulumiResourceLike>, source?: string): PulumiInventory {
  const tenants = new Map<string, Tenant>();
  const inboundConnectors: InboundConnector[] = [];
  const sendConnectors: SendConnector[] = [];
  const certificates = new Map<string, Certificate>();
  const problems: string[] = [];

  for (const resource of resources) {
    if (connectorKind(resource.type) === undefined) continue;
    const normalized = normalize(resource, source);
    problems.push(...normalized.problems);
    if (normalized.inbound) inboundConnectors.push(normalized.inbound);
    if (normalized.send) sendConnectors.push(normalized.send);
    if (normalized.certificate) certificates.set(normalized.certificate.thumbprint, normalized.certificate);
    if (normalized.tenant) {
      const known = tenants.get(normalized.tenant.name);
      const merged = known
        ? [...new Set([...known.acceptedDomains, ...normalized.tenant.acceptedDomains])]
        : normalized.tenant.acceptedDomains;
      tenants.set(normalized.tenant.name, { ...normalized.tenant, acceptedDomains: merged });
    }
  }
  return {
    inventory: { tenants: [...tenants.values()], inboundConnectors, sendConnectors, certificates: [...certificates.values()] },
    problems,
  };
}
