import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  argumentError,
  AdoptArgsSchema,
  CertificateArgsSchema,
  checkBeforeCreate,
  ExchangeOnlineArgsSchema,
  OnPremisesArgsSchema,
  parseArgs,
  TenantArgsSchema,
  transportServers,
} from "./args";
import { CloudArgSchema } from "./cloud";
import type { HybridOrganizationArgs } from "./types";
import { planPair, TenantConnectorPair } from "./tenant-connector-pair";

/** @internal The schema behind HybridOrganizationArgs (components/types.ts). */
export const HybridOrganizationArgsSchema = z
  .object({
    /** Transport servers of the on-premises organization that send to the tenants. */
    sourceTransportServers: transportServers("sourceTransportServers"),
    /** One entry per tenant (the Hybrid Configuration Wizard supports up to 5). */
    tenants: z
      .array(
        z
          .object({
            tenant: TenantArgsSchema,
            certificate: CertificateArgsSchema,
            certificateName: z.string(),
            senderIPAddresses: z.array(z.string()).optional(),
            /** Overrides the organization's Exchange Online connection for this tenant. */
            exchangeOnline: ExchangeOnlineArgsSchema.optional(),
            /** Existing, unmanaged connectors of this tenant to take over by name (a brownfield migration). */
            adopt: AdoptArgsSchema.optional(),
          })
          .strict(),
      )
      .min(1, "tenants must list at least one tenant"),
    exchangeOnline: ExchangeOnlineArgsSchema,
    onPremises: OnPremisesArgsSchema.optional(),
    /** The tenants' Microsoft 365 cloud (Connect-ExchangeOnline -ExchangeEnvironmentName); default O365Default. */
    cloud: CloudArgSchema,
  })
  .strict();
export type { HybridOrganizationArgs };

/**
 * One on-premises Exchange organization sending to several tenants: a dedicated certificate and
 * Send Connector per tenant. Refuses, before creating anything, tenants that share a certificate
 * or a certificate name.
 */
export class HybridOrganization extends pulumi.ComponentResource {
  readonly pairs: TenantConnectorPair[];

  constructor(name: string, args: HybridOrganizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailflow:exchange:HybridOrganization", name, {}, opts);
    const parsed = parseArgs(HybridOrganizationArgsSchema, args, "HybridOrganization", name, this);
    const pairArgs = parsed.tenants.map((entry) => ({
      tenant: entry.tenant,
      certificate: entry.certificate,
      certificateName: entry.certificateName,
      sendConnector: {
        sourceTransportServers: parsed.sourceTransportServers,
        // The root project's runbook renames and creates these by hand before its pulumi up: taken over at create.
        ...(entry.adopt?.sendConnector ? { name: entry.adopt.sendConnector, takeOver: true } : {}),
      },
      ...(entry.adopt?.inboundConnector ? { inboundConnector: { name: entry.adopt.inboundConnector, takeOver: true } } : {}),
      ...(entry.senderIPAddresses ? { senderIPAddresses: entry.senderIPAddresses } : {}),
      exchangeOnline: entry.exchangeOnline ?? parsed.exchangeOnline,
      ...(parsed.onPremises ? { onPremises: parsed.onPremises } : {}),
      cloud: parsed.cloud,
    }));
    const pairName = (tenant: string) => `${name}-${tenant.split(".")[0]}`;
    const plans = pairArgs.map((pair, i) => {
      try {
        return planPair(pairName(pair.tenant.name), pair);
      } catch (error) {
        throw argumentError(`Invalid arguments for HybridOrganization "${name}" tenants[${i}]:\n${(error as Error).message}`, this);
      }
    });
    checkBeforeCreate(
      plans.flatMap((plan) => plan.resources),
      "HybridOrganization",
      name,
      this,
    );
    this.pairs = pairArgs.map(
      (pair) => new TenantConnectorPair(pairName(pair.tenant.name), pair, { parent: this, [TenantConnectorPair.checked]: true }),
    );
    this.registerOutputs({
      tenants: this.pairs.map((pair, i) => ({ tenant: pairArgs[i]?.tenant.name, certificateThumbprint: pair.certificateThumbprint })),
    });
  }
}
