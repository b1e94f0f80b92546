import { z } from "zod";
import { normalizeDomain } from "./domain";
import { type Ipv4Block, parseIpv4Block } from "./ipv4";

/** Exchange Online's own outbound ranges: no on-premises server legitimately sends from them. */
export const EXCHANGE_ONLINE_RANGES = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"] as const;

/**
 * The org-wide assignment table (written by `mailflow-guard inventory`, read by the pack's
 * cross-tenant rules): which tenant owns which certificates, certificate names and sender IPs.
 */
const TenantAssignmentSchema = z
  .object({
    certificateThumbprints: z.array(z.string().regex(/^[0-9A-Fa-f:]{40,59}$/, "must be a SHA-1 thumbprint (40 hex digits)")).default([]),
    certificateNames: z.array(z.string()).default([]),
    senderIPAddresses: z.array(z.string()).default([]),
    sendConnectors: z.array(z.string()).default([]),
    /** Where the assignment was read from (stack name, export folder). */
    source: z.string().optional(),
  })
  .strict();
type TenantAssignment = z.output<typeof TenantAssignmentSchema>;

/**
 * The table as the rules compare it: tenant keys and certificate names normalized like every other
 * domain, thumbprints as 40 upper-case hex digits. Done once here, so no rule normalizes it again.
 */
function normalizeAssignments(tenants: Record<string, TenantAssignment>, ctx: z.RefinementCtx): Record<string, TenantAssignment> {
  const normalized: Record<string, TenantAssignment> = {};
  for (const [key, assignment] of Object.entries(tenants)) {
    try {
      const tenant = normalizeDomain(key, `orgAssignments.tenants["${key}"]`);
      const known = normalized[tenant];
      const certificateThumbprints = assignment.certificateThumbprints.map((thumbprint) => thumbprint.replaceAll(":", "").toUpperCase());
      const certificateNames = assignment.certificateNames.map((name, i) =>
        normalizeDomain(name, `orgAssignments.tenants["${key}"].certificateNames[${i}]`),
      );
      normalized[tenant] = {
        ...assignment,
        certificateThumbprints: [...(known?.certificateThumbprints ?? []), ...certificateThumbprints],
        certificateNames: [...(known?.certificateNames ?? []), ...certificateNames],
        senderIPAddresses: [...(known?.senderIPAddresses ?? []), ...assignment.senderIPAddresses],
        sendConnectors: [...(known?.sendConnectors ?? []), ...assignment.sendConnectors],
      };
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  }
  return normalized;
}

export const OrgAssignmentsSchema = z
  .object({
    version: z.literal(1, { error: "orgAssignments.version must be 1" }),
    tenants: z.record(z.string(), TenantAssignmentSchema).transform(normalizeAssignments),
  })
  .strict();
export type OrgAssignments = z.infer<typeof OrgAssignmentsSchema>;

export const SEVERITY_SETTINGS = ["mandatory", "advisory", "disabled"] as const;

export const EngineConfigSchema = z
  .object({
    /** Days before expiry a certificate gets an advisory finding. */
    expiryWarningDays: z.number().int().min(0).max(3650).default(60),
    /** Extra known-shared ranges (vendor pools, shared smart hosts), IPv4 CIDR. */
    knownSharedRanges: z.array(z.string()).default([]),
    /** Severity of a security-relevant value that is unknown at preview. */
    unknownValues: z.enum(["mandatory", "advisory"]).default("mandatory"),
    /** Per-rule severity overrides, by rule id. */
    severity: z.record(z.string(), z.enum(SEVERITY_SETTINGS)).default({}),
    /** The org-wide assignment table, for cross-stack uniqueness. */
    orgAssignments: OrgAssignmentsSchema.optional(),
    /** The clock; tests and audits of a past state set it. */
    now: z.coerce.date().optional(),
  })
  .strict();
export type EngineConfigInput = z.input<typeof EngineConfigSchema>;

export interface EngineConfig extends Omit<z.infer<typeof EngineConfigSchema>, "now" | "knownSharedRanges"> {
  readonly now: Date;
  readonly knownSharedRanges: readonly { readonly name: string; readonly block: Ipv4Block }[];
}

/** A configuration that cannot be used as given; the message names the source and every bad key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Validates and completes a config; every problem is named by its path. */
export function resolveConfig(input: EngineConfigInput = {}, source = "config"): EngineConfig {
  const parsed = EngineConfigSchema.safeParse(input);
  if (!parsed.success) {
    // One paragraph a person reads: every problem by its path, then what the file is for.
    // Messages from the engine's own validators already quote their field; zod's do not.
    const problems = parsed.error.issues
      .map((issue) => (issue.message.startsWith("'") ? issue.message : `'${issue.path.join(".") || "(config)"}' ${issue.message}`))
      .join("; ");
    throw new ConfigError(`${source}: ${problems}${problems.endsWith(".") ? "" : "."}`);
  }
  const { now, knownSharedRanges, ...rest } = parsed.data;
  return {
    ...rest,
    now: now ?? new Date(),
    knownSharedRanges: [
      ...EXCHANGE_ONLINE_RANGES.map((cidr) => ({
        name: `Exchange Online range ${cidr}`,
        block: parseIpv4Block(cidr, "EXCHANGE_ONLINE_RANGES"),
      })),
      ...knownSharedRanges.map((cidr, i) => ({
        name: `known shared range ${cidr}`,
        block: parseIpv4Block(cidr, `${source}.knownSharedRanges[${i}]`),
      })),
    ],
  };
}
