import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { normalizeDomain } from "../policy/src/engine/domain";
import { routingDomainFor } from "../policy/src/engine/clouds";
import { tenantSmartHost } from "../policy/src/engine/model";
import { exchangeTlsCertificateName, parseCertificatePem } from "../policy/src/engine/x509";
import { INBOUND_CONNECTOR_TYPE, type PulumiResourceLike, SEND_CONNECTOR_TYPE } from "../policy/src/sources/pulumi";
import {
  argumentError,
  CertificateArgsSchema,
  checkBeforeCreate,
  connectorName,
  derivedConnectorName,
  ExchangeOnlineArgsSchema,
  fqdnArg,
  OnPremisesArgsSchema,
  parseArgs,
  resolvedConnectionCheck,
  TenantArgsSchema,
  transportServers,
} from "./args";
import { CloudArgSchema, tenantCloud, withCloudDefaults } from "./cloud";
import type { TenantConnectorPairArgs } from "./types";
import { InboundConnector } from "./providers/inbound-connector";
import { type InboundConnectorInputs, preflight } from "./providers/inbound-connector-impl";
import { SendConnector } from "./providers/send-connector";
import type { SendConnectorInputs } from "./providers/send-connector-impl";

/** @internal The schema behind TenantConnectorPairArgs (components/types.ts). */
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
        sourceTransportServers: transportServers("sendConnector.sourceTransportServers"),
        /** FQDN the servers announce on this connector; defaults to certificateName. */
        fqdn: fqdnArg("sendConnector.fqdn").optional(),
        /** Connector name (at most 64 characters, one line); defaults to "Outbound to <tenant>". */
        name: connectorName("sendConnector.name").optional(),
        /** Import the existing Send Connector (Pulumi's import) instead of creating one. */
        adopt: z.boolean().optional(),
        /** The existing connector's name when it is to be renamed: the import takes it by this name, the update renames it. */
        currentName: connectorName("sendConnector.currentName").optional(),
        /** Take over an existing, unmanaged connector of this name at create (when it is made by hand after the preview). */
        takeOver: z.boolean().optional(),
      })
      .strict(),
    /** The Exchange Online inbound connector; by default named after the certificate name. */
    inboundConnector: z
      .object({
        /** Connector name (at most 64 characters, one line); defaults to "Inbound from on-premises (<certificateName>)". */
        name: connectorName("inboundConnector.name").optional(),
        /** Import the existing inbound connector (Pulumi's import) instead of creating one. */
        adopt: z.boolean().optional(),
        /** The existing connector's name when it is to be renamed: the import takes it by this name, the update renames it. */
        currentName: connectorName("inboundConnector.currentName").optional(),
        /** Take over an existing, unmanaged connector of this name at create (when it is made by hand after the preview). */
        takeOver: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Sender IPs for an IP-based (not recommended) or mixed connector. */
    senderIPAddresses: z.array(z.string()).optional(),
    /** How to reach Exchange Online (endpoint and credentials; kept secret in state). */
    exchangeOnline: ExchangeOnlineArgsSchema,
    /** How to run on-premises Exchange Management Shell scripts. */
    onPremises: OnPremisesArgsSchema.optional(),
    /** The tenant's Microsoft 365 cloud (Connect-ExchangeOnline -ExchangeEnvironmentName); default O365Default. */
    cloud: CloudArgSchema,
  })
  .strict();

export type { TenantConnectorPairArgs };
type Parsed = z.output<typeof TenantConnectorPairArgsSchema>;

/** @internal The plain props of the two resources a pair creates, computed before anything is created. */
export interface PairPlan {
  /** The cloud whose hosts the plan uses. */
  readonly cloud: ReturnType<typeof tenantCloud>;
  readonly inbound: Omit<InboundConnectorInputs, "connection">;
  readonly send: Omit<SendConnectorInputs, "shell" | "shellEnv">;
  /** The same props as the pack will see them, for the fail-fast check. */
  readonly resources: PulumiResourceLike[];
  /** Import IDs of the existing connectors to adopt (Pulumi's import): `<tenant>/<name>` and the Send Connector's name. */
  readonly imports: { readonly inbound?: string; readonly send?: string };
}

function owner(): string {
  return `${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** @internal */
export function planPair(name: string, args: Parsed): PairPlan {
  const certificate = parseCertificatePem(args.certificate.pem, "certificate.pem");
  const tenant = normalizeDomain(args.tenant.name, "tenant.name");
  const certificateName = normalizeDomain(args.certificateName, "certificateName");
  const cloud = tenantCloud(tenant, args.cloud);
  const inbound: PairPlan["inbound"] = {
    tenant,
    acceptedDomains: args.tenant.acceptedDomains,
    name:
      args.inboundConnector?.name ??
      derivedConnectorName((value) => `Inbound from on-premises (${value})`, "certificateName", certificateName, {
        field: "certificateName",
        value: certificateName,
        override: "inboundConnector.name",
      }),
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
    // Imported (or taken over at create) and marked as this stack's (its Comment), so a later plan knows who manages it.
    ...(args.inboundConnector?.adopt || args.inboundConnector?.takeOver ? { adopt: true } : {}),
  };
  const send: PairPlan["send"] = {
    name:
      args.sendConnector.name ??
      derivedConnectorName((value) => `Outbound to ${value}`, "tenant.name", tenant, {
        field: "tenant.name",
        value: tenant,
        override: "sendConnector.name",
      }),
    tenants: [tenant],
    addressSpaces: [routingDomainFor(tenant, cloud) ?? tenant],
    smartHosts: [tenantSmartHost(tenant, cloud)],
    dnsRoutingEnabled: false,
    requireTls: true,
    tlsAuthLevel: "DomainValidation",
    tlsDomain: cloud.tlsDomain,
    tlsCertificateName: exchangeTlsCertificateName(certificate),
    cloudServicesMailEnabled: true,
    sourceTransportServers: args.sendConnector.sourceTransportServers,
    fqdn: args.sendConnector.fqdn ?? certificateName,
    certificatePem: args.certificate.pem,
    certificateThumbprint: certificate.thumbprint,
    owner: owner(),
    ...(args.sendConnector.adopt || args.sendConnector.takeOver ? { adopt: true } : {}),
  };
  return {
    cloud,
    inbound,
    send,
    imports: {
      ...(args.inboundConnector?.adopt ? { inbound: `${tenant}/${args.inboundConnector.currentName ?? inbound.name}` } : {}),
      ...(args.sendConnector.adopt ? { send: args.sendConnector.currentName ?? send.name } : {}),
    },
    resources: [
      { type: INBOUND_CONNECTOR_TYPE, name: `${name}-inbound`, props: { ...inbound } },
      { type: SEND_CONNECTOR_TYPE, name: `${name}-send`, props: { ...send } },
    ],
  };
}

/**
 * The Send Connector is created first (Exchange Online must not require a certificate the on-premises
 * side does not present yet), so Exchange Online is checked before it: during `up`, an authenticated
 * read of the tenant and its accepted domains. A wrong token, an unreachable endpoint or a
 * certificate name the live tenant does not accept stops the pair with nothing created on either
 * side, instead of leaving a Send Connector without its inbound connector. Preview stays offline.
 */
function exchangeOnlineReachable(
  name: string,
  inbound: PairPlan["inbound"],
  connection: Parsed["exchangeOnline"],
  parent: pulumi.Resource,
): pulumi.Input<pulumi.Resource[]> {
  if (pulumi.runtime.isDryRun()) return [];
  return pulumi.output(connection).apply(async (resolved) => {
    try {
      await preflight({ ...inbound, connection: resolved });
    } catch (error) {
      throw argumentError(
        `TenantConnectorPair "${name}": Exchange Online was checked before anything is created, and the check failed: ${(error as Error).message}\nNothing was created on-premises or in Exchange Online.`,
        parent,
      );
    }
    return [];
  });
}

/**
 * One on-premises Send Connector and one Exchange Online OnPremises inbound connector for one/**
 * One on-premises Send Connector and one Exchange Online OnPremises inbound connector for one
 * tenant, authenticated by a certificate dedicated to that tenant (MC1226222).
 */
export class TenantConnectorPair extends pulumi.ComponentResource {
  readonly inboundConnector: InboundConnector;
  readonly sendConnector: SendConnector;
  /** SHA-1 thumbprint of the tenant's certificate. */
  readonly certificateThumbprint: string;

  /** Set by HybridOrganization, which has already checked the whole organization; not for programs. */
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
      throw argumentError(`Invalid arguments for TenantConnectorPair "${name}":\n${(error as Error).message}`, this);
    }
    if (!opts?.[TenantConnectorPair.checked]) checkBeforeCreate(plan.resources, "TenantConnectorPair", name, this);

    this.certificateThumbprint = plan.send.certificateThumbprint as string;
    this.sendConnector = new SendConnector(
      `${name}-send`,
      { ...plan.send, shell: parsed.onPremises?.shell ?? [], shellEnv: pulumi.secret(parsed.onPremises?.shellEnv ?? {}) },
      {
        parent: this,
        dependsOn: exchangeOnlineReachable(name, plan.inbound, parsed.exchangeOnline, this),
        // An adopted connector is imported as it is; the engine then updates what differs (CLI 3.2xx+).
        ...(plan.imports.send ? { import: plan.imports.send } : {}),
      },
    );
    this.inboundConnector = new InboundConnector(
      `${name}-inbound`,
      {
        ...plan.inbound,
        connection: pulumi.secret(
          withCloudDefaults(parsed.exchangeOnline, plan.cloud, resolvedConnectionCheck("TenantConnectorPair", name, this)),
        ),
        // Checked by the delete of this connector, which comes first, so that a destroy never stops half-way.
        pairedSendConnector: pulumi.secret({
          name: plan.send.name,
          shell: parsed.onPremises?.shell ?? [],
          shellEnv: parsed.onPremises?.shellEnv ?? {},
        }),
      },
      // The on-premises side must be able to send with the certificate before Exchange Online requires it.
      { parent: this, dependsOn: [this.sendConnector], ...(plan.imports.inbound ? { import: plan.imports.inbound } : {}) },
    );
    this.registerOutputs({
      inboundConnectorIdentity: this.inboundConnector.identity,
      sendConnectorIdentity: this.sendConnector.identity,
      certificateThumbprint: this.certificateThumbprint,
    });
  }
}
