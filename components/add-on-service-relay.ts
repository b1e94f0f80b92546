import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { normalizeDomain } from "../policy/src/engine/domain";
import { parseCertificatePem } from "../policy/src/engine/x509";
import { INBOUND_CONNECTOR_TYPE } from "../policy/src/sources/pulumi";
import {
  argumentError,
  CertificateArgsSchema,
  checkBeforeCreate,
  connectorName,
  derivedConnectorName,
  ExchangeOnlineArgsSchema,
  parseArgs,
  resolvedConnectionCheck,
  TenantArgsSchema,
} from "./args";
import { CloudArgSchema, tenantCloud, withCloudDefaults } from "./cloud";
import { InboundConnector } from "./providers/inbound-connector";
import type { InboundConnectorInputs } from "./providers/inbound-connector-impl";
import type { AddOnServiceRelayArgs } from "./types";

/** @internal The schema behind AddOnServiceRelayArgs (components/types.ts). */
export const AddOnServiceRelayArgsSchema = z
  .object({
    /** The customer tenant the service relays for. */
    tenant: TenantArgsSchema,
    /** The add-on service (signature service, CRM, gateway), e.g. "Contoso Signatures". */
    service: connectorName("service"),
    /** The certificate the service presents for this customer only (public part). */
    certificate: CertificateArgsSchema,
    /** The per-customer domain on that certificate, an accepted domain of the tenant (e.g. s5hg3dcg.smtp.vendor.example). */
    certificateName: z.string({ error: "certificateName must be a plain string such as s5hg3dcg.smtp.vendor.example" }),
    /** Only if the service also requires IP restriction; certificate-based is what Microsoft recommends. */
    senderIPAddresses: z.array(z.string()).optional(),
    /** The Exchange Online inbound connector; by default named "<service> relay (<certificateName>)". */
    inboundConnector: z
      .object({
        /** Connector name (at most 64 characters, one line). */
        name: connectorName("inboundConnector.name").optional(),
      })
      .strict()
      .optional(),
    exchangeOnline: ExchangeOnlineArgsSchema,
    /** The tenant's Microsoft 365 cloud (Connect-ExchangeOnline -ExchangeEnvironmentName); default O365Default. */
    cloud: CloudArgSchema,
  })
  .strict();
export type { AddOnServiceRelayArgs };

/**
 * A third-party service relaying a customer's mail through Exchange Online with a certificate
 * unique to that customer, whose domain is an accepted domain of the customer's tenant, and a
 * connector that restricts to it (RestrictDomainsToCertificate) with CloudServicesMailEnabled, as
 * "Integrate Exchange Online with an email add-on service" sets both.
 */
export class AddOnServiceRelay extends pulumi.ComponentResource {
  readonly inboundConnector: InboundConnector;
  /** SHA-1 thumbprint of the customer's certificate. */
  readonly certificateThumbprint: string;

  constructor(name: string, args: AddOnServiceRelayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailflow:exchange:AddOnServiceRelay", name, {}, opts);
    const parsed = parseArgs(AddOnServiceRelayArgsSchema, args, "AddOnServiceRelay", name, this);
    let inbound: Omit<InboundConnectorInputs, "connection">;
    let cloud: ReturnType<typeof tenantCloud>;
    try {
      cloud = tenantCloud(normalizeDomain(parsed.tenant.name, "tenant.name"), parsed.cloud);
      const certificate = parseCertificatePem(parsed.certificate.pem, "certificate.pem");
      const certificateName = normalizeDomain(parsed.certificateName, "certificateName");
      inbound = {
        tenant: normalizeDomain(parsed.tenant.name, "tenant.name"),
        acceptedDomains: parsed.tenant.acceptedDomains,
        name:
          parsed.inboundConnector?.name ??
          derivedConnectorName((value) => `${parsed.service} relay (${value})`, "certificateName", certificateName, {
            field: "service",
            value: parsed.service,
            override: "inboundConnector.name",
          }),
        connectorType: "OnPremises",
        tlsSenderCertificateName: certificateName,
        senderIPAddresses: parsed.senderIPAddresses ?? [],
        senderDomains: ["*"],
        requireTls: true,
        restrictDomainsToCertificate: true,
        restrictDomainsToIPAddresses: false,
        treatMessagesAsInternal: false,
        // As Microsoft's add-on scenario creates it, matching the outbound connector to the service.
        cloudServicesMailEnabled: true,
        addOnService: parsed.service,
        certificateThumbprint: certificate.thumbprint,
        owner: `${pulumi.getProject()}/${pulumi.getStack()}`,
      };
    } catch (error) {
      throw argumentError(`Invalid arguments for AddOnServiceRelay "${name}":\n${(error as Error).message}`, this);
    }
    checkBeforeCreate([{ type: INBOUND_CONNECTOR_TYPE, name: `${name}-inbound`, props: { ...inbound } }], "AddOnServiceRelay", name, this);
    this.inboundConnector = new InboundConnector(
      `${name}-inbound`,
      {
        ...inbound,
        connection: pulumi.secret(
          withCloudDefaults(parsed.exchangeOnline, cloud, resolvedConnectionCheck("AddOnServiceRelay", name, this)),
        ),
      },
      { parent: this },
    );
    this.certificateThumbprint = inbound.certificateThumbprint as string;
    this.registerOutputs({
      inboundConnectorIdentity: this.inboundConnector.identity,
      certificateThumbprint: this.certificateThumbprint,
    });
  }
}
