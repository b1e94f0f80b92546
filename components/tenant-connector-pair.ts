import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { normalizeDomain } from "../policy/src/engine/domain";
import { tenantSmartHost } from "../policy/src/engine/model";
import { exchangeTlsCertificateName, parseCertificatePem } from "../policy/src/engine/x509";
import { INBOUND_CONNECTOR_TYPE, type PulumiResourceLike, SEND_CONNECTOR_TYPE } from "../policy/src/sources/pulumi";
import {
  CertificateArgsSchema,
  checkBeforeCreate,
  ExchangeOnlineArgsSchema,
  OnPremisesArgsSchema,
  parseArgs,
  TenantArgsSchema,
} from "./args";
import { InboundConnector } from "./providers/inbound-connector";
import type { InboundConnectorInputs } from "./providers/inbound-connector-impl";
import { SendConnector } from "./providers/send-connector";
import type { SendConnectorInputs } from "./providers/send-connector-impl";

export const TenantConnectorPairArgsSchema = z
  .object({
    /** The Exchange Online tenant this path delivers to. */
    tenant: TenantArgsSchema,
    /** The certificate dedicated to this tenant's path (public part only). */
    certificate: CertificateArgsSchema,
    /** TlsSenderCertificateName: an accepted domain of the tenant that the certificate covers. */
    certificateName: z.string({ error: "certificateName must be a plain string such as relay.contoso.com" }),
    /** The on-premises Send Connector of this tenant. */
    sendConnector: z
      .object({
        /** Transport servers that send through this connector (Get-ExchangeServer names). */
        sourceTransportServers: z.array(z.string().min(1)).min(1, "sendConnector.sourceTransportServers must name at least one server"),
        /** FQDN the servers announce on this connector; defaults to certificateName. */
        fqdn: z.string().optional(),
        /** Connector name; defaults to "Outbound to <tenant>". */
        name: z.string().min(1).optional(),
        /** Take over an existing, unmanaged Send Connector of this name instead of refusing it. */
        adopt: z.boolean().optional(),
      })
      .strict(),
    /** The Exchange Online inbound connector; by default named after the certificate name. */
    inboundConnector: z
      .object({
        /** Connector name; defaults to "Inbound from on-premises (<certificateName>)". */
        name: z.string().min(1).optional(),
        /** Take over an existing, unmanaged inbound connector of this name instead of refusing it. */
        adopt: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Sender IPs for an IP-based (not recommended) or mixed connector. */
    senderIPAddresses: z.array(z.string()).optional(),
    /** How to reach Exchange Online (endpoint and credentials; kept secret in state). */
    exchangeOnline: ExchangeOnlineArgsSchema,
    /** How to run on-premises Exchange Management Shell scripts. */
    onPremises: OnPremisesArgsSchema.optional(),
  })
  .strict();

export type TenantConnectorPairArgs = z.input<typeof TenantConnectorPairArgsSchema>;
type Parsed = z.output<typeof TenantConnectorPairArgsSchema>;

/** The plain props of the two resources a pair creates, computed before anything is created. */
export interface PairPlan {
  readonly inbound: Omit<InboundConnectorInputs, "connection">;
  readonly send: Omit<SendConnectorInputs, "shell" | "shellEnv">;
  /** The same props as the pack will see them, for the fail-fast check. */
  readonly resources: PulumiResourceLike[];
}

function owner(): string {
  return `${pulumi.getProject()}/${pulumi.getStack()}`;
}

export function planPair(name: string, args: Parsed): PairPlan {
  const certificate = parseCertificatePem(args.certificate.pem, "certificate.pem");
  const tenant = normalizeDomain(args.tenant.name, "tenant.name");
  const certificateName = normalizeDomain(args.certificateName, "certificateName");
  const prefix = tenant.replace(/\.onmicrosoft\.[a-z]+$/, "");
  const inbound: PairPlan["inbound"] = {
    tenant,
    acceptedDomains: args.tenant.acceptedDomains,
    name: args.inboundConnector?.name ?? `Inbound from on-premises (${certificateName})`,
    connectorType: "OnPremises",
    tlsSenderCertificateName: certificateName,
    senderIPAddresses: args.senderIPAddresses ?? [],
    senderDomains: ["*"],
    requireTls: true,
    restrictDomainsToCertificate: false,
    restrictDomainsToIPAddresses: false,
    treatMessagesAsInternal: false,
    cloudServicesMailEnabled: true,
    certificateThumbprint: certificate.thumbprint,
    owner: owner(),
    ...(args.inboundConnector?.adopt ? { adopt: true } : {}),
  };
  const send: PairPlan["send"] = {
    name: args.sendConnector.name ?? `Outbound to ${tenant}`,
    tenants: [tenant],
    addressSpaces: [`${prefix}.mail.onmicrosoft.com`],
    smartHosts: [tenantSmartHost(tenant)],
    dnsRoutingEnabled: false,
    requireTls: true,
    tlsAuthLevel: "DomainValidation",
    tlsDomain: "mail.protection.outlook.com",
    tlsCertificateName: exchangeTlsCertificateName(certificate),
    cloudServicesMailEnabled: true,
    sourceTransportServers: args.sendConnector.sourceTransportServers,
    fqdn: args.sendConnector.fqdn ?? certificateName,
    certificatePem: args.certificate.pem,
    certificateThumbprint: certificate.thumbprint,
    owner: owner(),
    ...(args.sendConnector.adopt ? { adopt: true } : {}),
  };
  return {
    inbound,
    send,
    resources: [
      { type: INBOUND_CONNECTOR_TYPE, name: `${name}-inbound`, props: { ...inbound } },
      { type: SEND_CONNECTOR_TYPE, name: `${name}-send`, props: { ...send } },
    ],
  };
}

/**
 * One on-premises Send Connector and one Exchange Online OnPremises inbound connector for one
 * tenant, authenticated by a certificate dedicated to that tenant (MC1226222).
 */
export class TenantConnectorPair extends pulumi.ComponentResource {
  readonly inboundConnector: InboundConnector;
  readonly sendConnector: SendConnector;
  /** SHA-1 thumbprint of the tenant's certificate. */
  readonly certificateThumbprint: string;

  /** @internal HybridOrganization has already checked the whole organization. */
  static readonly checked = Symbol("checked");

  constructor(
    name: string,
    args: TenantConnectorPairArgs,
    opts?: pulumi.ComponentResourceOptions & { [TenantConnectorPair.checked]?: boolean },
  ) {
    super("mailflow:exchange:TenantConnectorPair", name, {}, opts);
    const parsed = parseArgs(TenantConnectorPairArgsSchema, args, "TenantConnectorPair", name, this);
    let plan: PairPlan;
    try {
      plan = planPair(name, parsed);
    } catch (error) {
      throw new pulumi.ResourceError(`Invalid arguments for TenantConnectorPair "${name}":\n${(error as Error).message}`, this);
    }
    if (!opts?.[TenantConnectorPair.checked]) checkBeforeCreate(plan.resources, "TenantConnectorPair", name, this);

    this.certificateThumbprint = plan.send.certificateThumbprint as string;
    // Pulumi cannot import dynamic-provider resources (pulumi/pulumi#16175), so an adopted connector
    // shows as "create" in a preview; say what that create will do.
    for (const [kind, props] of [
      ["Send Connector", plan.send],
      ["inbound connector", plan.inbound],
    ] as const) {
      if (props.adopt)
        pulumi.log.info(
          `adopts the ${kind} "${props.name}" by name if it exists and this stack does not manage it yet: its create then updates that connector in place (no second connector is made)`,
          this,
        );
    }
    this.sendConnector = new SendConnector(
      `${name}-send`,
      { ...plan.send, shell: parsed.onPremises?.shell ?? [], shellEnv: pulumi.secret(parsed.onPremises?.shellEnv ?? {}) },
      { parent: this },
    );
    this.inboundConnector = new InboundConnector(
      `${name}-inbound`,
      { ...plan.inbound, connection: pulumi.secret(parsed.exchangeOnline) },
      // The on-premises side must be able to send with the certificate before Exchange Online requires it.
      { parent: this, dependsOn: [this.sendConnector] },
    );
    this.registerOutputs({
      inboundConnectorIdentity: this.inboundConnector.identity,
      sendConnectorIdentity: this.sendConnector.identity,
      certificateThumbprint: this.certificateThumbprint,
    });
  }
}
