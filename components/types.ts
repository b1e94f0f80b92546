import type * as pulumi from "@pulumi/pulumi";

/**
 * The components' public argument types, written out as plain TypeScript. They are what a user's
 * compiler sees: no schema library's types leak into them, so a project with Pulumi's template
 * tsconfig (no skipLibCheck) compiles. The zod schemas that validate them live beside each
 * component, marked internal; test/unit/components/public-types.test.ts proves each schema takes
 * exactly these shapes.
 */

/** A Microsoft 365 cloud, by the name `Connect-ExchangeOnline -ExchangeEnvironmentName` takes. */
export type CloudName = "O365Default" | "O365USGovGCCHigh" | "O365USGovDoD" | "O365China";

/** An Exchange Online tenant. */
export interface TenantArgs {
  /** The tenant's initial domain, e.g. contoso.onmicrosoft.com. */
  name: string;
  /** The tenant's accepted domains (Get-AcceptedDomain); the certificate name must be one of them. */
  acceptedDomains: string[];
}

/** A certificate: the public part only. The private key stays on the Exchange servers. */
export interface CertificateArgs {
  /** The public certificate (PEM). */
  pem: string;
}

/** How to reach Exchange Online; the token and the app key may be secret Outputs. */
export interface ExchangeOnlineArgs {
  /** Admin REST endpoint base URL; default: the cloud's (https://outlook.office365.com worldwide). */
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
  /** Retries of 429 and 5xx answers. */
  maxRetries?: number;
  /** Total time the retries may take (milliseconds). */
  retryBudgetMs?: number;
}

/** How to run on-premises Exchange Management Shell scripts. */
export interface OnPremisesArgs {
  /** The command that runs scripts from stdin; default pwsh. Relative paths mean the project folder. */
  shell?: string[];
  /** Extra environment for the shell command (e.g. the stand-in's state file). */
  shellEnv?: Record<string, string>;
}

/** Existing, unmanaged connectors of a tenant to take over by name (a brownfield migration). */
export interface AdoptArgs {
  /** Name of the tenant's existing OnPremises inbound connector. */
  inboundConnector?: string;
  /** Name of the existing on-premises Send Connector that becomes this tenant's own. */
  sendConnector?: string;
}

/** One on-premises Send Connector and one Exchange Online OnPremises inbound connector for one tenant. */
export interface TenantConnectorPairArgs {
  /** The Exchange Online tenant this path delivers to. */
  tenant: TenantArgs;
  /** The certificate dedicated to this tenant's path. */
  certificate: CertificateArgs;
  /** TlsSenderCertificateName: an accepted domain of the tenant that the certificate covers. */
  certificateName: string;
  /** The on-premises Send Connector of this tenant. */
  sendConnector: {
    /** Transport servers that send through this connector (Get-ExchangeServer names). */
    sourceTransportServers: string[];
    /** FQDN the servers announce on this connector; defaults to certificateName. */
    fqdn?: string;
    /** Connector name (at most 64 characters, one line); defaults to "Outbound to <tenant>". */
    name?: string;
    /** Import the existing Send Connector (Pulumi's import) instead of creating one. */
    adopt?: boolean;
    /** The existing connector's name when it is to be renamed: the import takes it by this name, the update renames it. */
    currentName?: string;
    /** Take over an existing, unmanaged connector of this name at create (when it is made by hand after the preview). */
    takeOver?: boolean;
  };
  /** The Exchange Online inbound connector; by default named after the certificate name. */
  inboundConnector?: {
    /** Connector name (at most 64 characters, one line); defaults to "Inbound from on-premises (<certificateName>)". */
    name?: string;
    /** Import the existing inbound connector (Pulumi's import) instead of creating one. */
    adopt?: boolean;
    /** The existing connector's name when it is to be renamed: the import takes it by this name, the update renames it. */
    currentName?: string;
    /** Take over an existing, unmanaged connector of this name at create (when it is made by hand after the preview). */
    takeOver?: boolean;
  };
  /** Sender IPs for an IP-based (not recommended) or mixed connector. */
  senderIPAddresses?: string[];
  /** How to reach Exchange Online (endpoint and credentials; kept secret in state). */
  exchangeOnline: ExchangeOnlineArgs;
  /** How to run on-premises Exchange Management Shell scripts. */
  onPremises?: OnPremisesArgs;
  /** The tenant's Microsoft 365 cloud; default O365Default. */
  cloud?: CloudName;
}

/** One on-premises organization sending to several tenants, a pair each. */
export interface HybridOrganizationArgs {
  /** Transport servers of the on-premises organization that send to the tenants. */
  sourceTransportServers: string[];
  /** One entry per tenant (the Hybrid Configuration Wizard supports up to 5). */
  tenants: {
    tenant: TenantArgs;
    certificate: CertificateArgs;
    certificateName: string;
    senderIPAddresses?: string[];
    /** Overrides the organization's Exchange Online connection for this tenant. */
    exchangeOnline?: ExchangeOnlineArgs;
    /** Existing, unmanaged connectors of this tenant to take over by name at create (the root project's migration runbook changes them by hand first). */
    adopt?: AdoptArgs;
  }[];
  exchangeOnline: ExchangeOnlineArgs;
  onPremises?: OnPremisesArgs;
  /** The tenants' Microsoft 365 cloud; default O365Default. */
  cloud?: CloudName;
}

/** A third-party service relaying a customer's mail through Exchange Online. */
export interface AddOnServiceRelayArgs {
  /** The customer tenant the service relays for. */
  tenant: TenantArgs;
  /** The add-on service (signature service, CRM, gateway), e.g. "Contoso Signatures". */
  service: string;
  /** The certificate the service presents for this customer only. */
  certificate: CertificateArgs;
  /** The per-customer domain on that certificate, an accepted domain of the tenant. */
  certificateName: string;
  /** Only if the service also requires IP restriction; certificate-based is what Microsoft recommends. */
  senderIPAddresses?: string[];
  /** The Exchange Online inbound connector; by default named "<service> relay (<certificateName>)", shortened to fit. */
  inboundConnector?: { name?: string };
  exchangeOnline: ExchangeOnlineArgs;
  /** The tenant's Microsoft 365 cloud; default O365Default. */
  cloud?: CloudName;
}
