import { CLOUD_NAMES } from "../policy/src/engine/clouds";

/**
 * The package schema of `mailflow`: what Pulumi YAML and every language's SDK read to know the
 * resources, the components, their properties and which of them are secret. Property names are
 * exactly the TypeScript ones (components/types.ts, the resources' inputs);
 * test/unit/provider/schema.test.ts holds them to the components' own argument schemas.
 */

type Property = Record<string, unknown> & { description: string };
const str = (description: string, extra: Record<string, unknown> = {}): Property => ({ type: "string", description, ...extra });
const bool = (description: string): Property => ({ type: "boolean", description });
const int = (description: string): Property => ({ type: "integer", description });
const strings = (description: string): Property => ({ type: "array", items: { type: "string" }, description });
const ref = (type: string, description: string, extra: Record<string, unknown> = {}): Property => ({
  $ref: `#/types/mailflow:exchange:${type}`,
  description,
  ...extra,
});

const TENANT = ref("Tenant", "The Exchange Online tenant.");
const CERTIFICATE = ref(
  "Certificate",
  "The certificate dedicated to this path: the public part only; the private key stays on the Exchange servers.",
);
const CERTIFICATE_NAME = str("TlsSenderCertificateName: an accepted domain of the tenant that the certificate covers.");
const SENDER_IPS = strings("Sender IPs for an IP-based (not recommended) or mixed connector.");
const EXCHANGE_ONLINE = ref("ExchangeOnline", "How to reach Exchange Online (endpoint and credentials; kept secret in state).");
const ON_PREMISES = ref("OnPremises", "How to run on-premises Exchange Management Shell scripts.");
const CLOUD = ref("CloudName", "The tenant's Microsoft 365 cloud (Connect-ExchangeOnline -ExchangeEnvironmentName); default O365Default.");

const inboundProperties: Record<string, Property> = {
  tenant: str("The tenant's initial domain or ID, e.g. contoso.onmicrosoft.com."),
  acceptedDomains: strings("The tenant's accepted domains (Get-AcceptedDomain); the certificate name must be one of them."),
  name: str("Connector name (at most 64 characters, one line)."),
  connectorType: ref("ConnectorType", "ConnectorType; default OnPremises."),
  tlsSenderCertificateName: str("TlsSenderCertificateName: the domain on the certificate the sending server presents."),
  senderIPAddresses: strings("SenderIPAddresses: IPv4 addresses or CIDR ranges /24 to /32."),
  senderDomains: strings('SenderDomains; default ["*"].'),
  requireTls: bool("RequireTls; default false, as New-InboundConnector."),
  restrictDomainsToCertificate: bool("RestrictDomainsToCertificate; default false."),
  restrictDomainsToIPAddresses: bool("RestrictDomainsToIPAddresses; default false."),
  treatMessagesAsInternal: bool("TreatMessagesAsInternal; default false."),
  cloudServicesMailEnabled: bool("CloudServicesMailEnabled; default false, as New-InboundConnector."),
  addOnService: str("The third-party service this connector is for, when it relays for an add-on service."),
  certificateThumbprint: str("SHA-1 thumbprint of the certificate the sender presents (for the policy gate)."),
  owner: str("Who manages the connector, written into its Comment; default <project>/<stack>."),
  adopt: bool("Take over an existing, unmanaged connector of this name at create (prefer the import resource option)."),
  connection: ref("ExchangeOnline", "How to reach Exchange Online; without it, the MAILFLOW_GUARD_EXO_* environment variables of pulumi.", {
    secret: true,
  }),
  pairedSendConnector: {
    type: "object",
    additionalProperties: { $ref: "pulumi.json#/Any" },
    description:
      "The same tenant path's Send Connector ({name, shell, shellEnv}); delete checks it can be deleted next before deleting this one.",
    secret: true,
  },
};

const sendProperties: Record<string, Property> = {
  name: str("Connector name (at most 64 characters, one line)."),
  tenants: strings("The tenants (initial domains) this connector routes to; exactly one for a tenant path."),
  addressSpaces: strings("AddressSpaces, e.g. contoso.mail.onmicrosoft.com."),
  smartHosts: strings("SmartHosts, e.g. contoso.mail.protection.outlook.com."),
  dnsRoutingEnabled: bool("DNSRoutingEnabled; default true, as New-SendConnector."),
  requireTls: bool("RequireTLS; default false."),
  tlsAuthLevel: ref("TlsAuthLevel", "TlsAuthLevel."),
  tlsDomain: str("TlsDomain, e.g. mail.protection.outlook.com."),
  tlsCertificateName: str("TlsCertificateName: <I>issuer<S>subject of the certificate the connector presents, in Windows' rendering."),
  cloudServicesMailEnabled: bool("CloudServicesMailEnabled; default false."),
  sourceTransportServers: strings("SourceTransportServers (Get-ExchangeServer names)."),
  fqdn: str("Fqdn the servers announce on this connector."),
  certificatePem: str("The public certificate the connector presents (PEM), for the policy gate."),
  certificateThumbprint: str("SHA-1 thumbprint of that certificate."),
  owner: str("Who manages the connector, written into its Comment; default <project>/<stack>."),
  adopt: bool("Take over an existing, unmanaged Send Connector of this name at create (prefer the import resource option)."),
  shell: strings("The command that runs Exchange Management Shell scripts from stdin; default MAILFLOW_GUARD_ONPREM_SHELL, else pwsh."),
  shellEnv: {
    type: "object",
    additionalProperties: { type: "string" },
    description: "Extra environment for the shell command.",
    secret: true,
  },
};

function required(properties: Record<string, Property>, names: string[]): string[] {
  for (const name of names) if (!(name in properties)) throw new Error(`schema: required property ${name} is not a property`);
  return names;
}

const types = {
  "mailflow:exchange:CloudName": {
    type: "string",
    description: "A Microsoft 365 cloud, by the name Connect-ExchangeOnline -ExchangeEnvironmentName takes.",
    enum: CLOUD_NAMES.map((value) => ({ value })),
  },
  "mailflow:exchange:ConnectorType": {
    type: "string",
    description: "An inbound connector's ConnectorType (TenantConnectorType).",
    enum: [{ value: "OnPremises" }, { value: "Partner" }],
  },
  "mailflow:exchange:TlsAuthLevel": {
    type: "string",
    description: "A Send Connector's TlsAuthLevel.",
    enum: [{ value: "EncryptionOnly" }, { value: "CertificateValidation" }, { value: "DomainValidation" }],
  },
  "mailflow:exchange:Tenant": {
    type: "object",
    description: "An Exchange Online tenant.",
    properties: {
      name: str("The tenant's initial domain, e.g. contoso.onmicrosoft.com."),
      acceptedDomains: strings("The tenant's accepted domains (Get-AcceptedDomain); the certificate name must be one of them."),
    },
    required: ["name", "acceptedDomains"],
  },
  "mailflow:exchange:Certificate": {
    type: "object",
    description: "A certificate: the public part only. The private key stays on the Exchange servers.",
    properties: { pem: str("The public certificate (PEM).") },
    required: ["pem"],
  },
  "mailflow:exchange:ExchangeOnline": {
    type: "object",
    description: "How to reach Exchange Online; the token and the app key are secret.",
    properties: {
      endpoint: str("Admin REST endpoint base URL; default the cloud's (https://outlook.office365.com worldwide)."),
      token: str("Bearer token (the local stand-in accepts any).", { secret: true }),
      app: ref("ExchangeOnlineApp", "App-only certificate authentication (Exchange.ManageAsApp)."),
      maxRetries: int("Retries of 429 and 5xx answers."),
      retryBudgetMs: int("Total time the retries may take (milliseconds)."),
    },
  },
  "mailflow:exchange:ExchangeOnlineApp": {
    type: "object",
    description: "An Entra ID application with Exchange.ManageAsApp, signing in with a certificate.",
    properties: {
      tenantId: str("Directory (tenant) ID or initial domain to get the token from; default the connector's tenant."),
      clientId: str("Application (client) ID."),
      certificatePem: str("The app's public certificate (PEM)."),
      privateKeyPem: str("The app certificate's private key (PEM).", { secret: true }),
      authorityHost: str("Entra ID authority host for sovereign clouds, e.g. https://login.microsoftonline.us."),
    },
    required: ["clientId", "certificatePem", "privateKeyPem"],
  },
  "mailflow:exchange:OnPremises": {
    type: "object",
    description: "How to run on-premises Exchange Management Shell scripts.",
    properties: {
      shell: strings("The command that runs scripts from stdin; default pwsh. Relative paths mean the project folder."),
      shellEnv: {
        type: "object",
        additionalProperties: { type: "string" },
        description: "Extra environment for the shell command (e.g. the stand-in's state file).",
        secret: true,
      },
    },
  },
  "mailflow:exchange:PairSendConnector": {
    type: "object",
    description: "The on-premises Send Connector of a tenant path.",
    properties: {
      sourceTransportServers: strings("Transport servers that send through this connector (Get-ExchangeServer names)."),
      fqdn: str("FQDN the servers announce on this connector; defaults to certificateName."),
      name: str('Connector name (at most 64 characters, one line); defaults to "Outbound to <tenant>".'),
      adopt: bool("Import the existing Send Connector (Pulumi's import) instead of creating one."),
      currentName: str("The existing connector's name when it is to be renamed: the import takes it by this name, the update renames it."),
      takeOver: bool("Take over an existing, unmanaged connector of this name at create (when it is made by hand after the preview)."),
    },
    required: ["sourceTransportServers"],
  },
  "mailflow:exchange:PairInboundConnector": {
    type: "object",
    description: "The Exchange Online inbound connector of a tenant path.",
    properties: {
      name: str('Connector name (at most 64 characters, one line); defaults to "Inbound from on-premises (<certificateName>)".'),
      adopt: bool("Import the existing inbound connector (Pulumi's import) instead of creating one."),
      currentName: str("The existing connector's name when it is to be renamed: the import takes it by this name, the update renames it."),
      takeOver: bool("Take over an existing, unmanaged connector of this name at create (when it is made by hand after the preview)."),
    },
  },
  "mailflow:exchange:RelayInboundConnector": {
    type: "object",
    description: "The Exchange Online inbound connector of an add-on service relay.",
    properties: {
      name: str('Connector name (at most 64 characters, one line); defaults to "<service> relay (<certificateName>)", shortened to fit.'),
    },
  },
  "mailflow:exchange:Adopt": {
    type: "object",
    description:
      "Existing connectors of a tenant to take over by name at create (the root project's migration runbook changes them by hand first).",
    properties: {
      inboundConnector: str("Name of the tenant's existing OnPremises inbound connector."),
      sendConnector: str("Name of the existing on-premises Send Connector that becomes this tenant's own."),
    },
  },
  "mailflow:exchange:OrganizationTenant": {
    type: "object",
    description: "One tenant of a HybridOrganization.",
    properties: {
      tenant: TENANT,
      certificate: CERTIFICATE,
      certificateName: CERTIFICATE_NAME,
      senderIPAddresses: SENDER_IPS,
      exchangeOnline: ref("ExchangeOnline", "Overrides the organization's Exchange Online connection for this tenant."),
      adopt: ref("Adopt", "Existing connectors of this tenant to import."),
    },
    required: ["tenant", "certificate", "certificateName"],
  },
  "mailflow:exchange:OrganizationTenantPath": {
    type: "object",
    description: "What a HybridOrganization made for one tenant.",
    properties: {
      tenant: str("The tenant's initial domain."),
      inboundConnectorIdentity: str("Identity of the tenant's inbound connector."),
      sendConnectorIdentity: str("Identity of the tenant's Send Connector."),
      certificateThumbprint: str("SHA-1 thumbprint of the tenant's certificate."),
    },
  },
};

const pairInputs = {
  tenant: TENANT,
  certificate: CERTIFICATE,
  certificateName: CERTIFICATE_NAME,
  sendConnector: ref("PairSendConnector", "The on-premises Send Connector of this tenant."),
  inboundConnector: ref("PairInboundConnector", "The Exchange Online inbound connector; by default named after the certificate name."),
  senderIPAddresses: SENDER_IPS,
  exchangeOnline: EXCHANGE_ONLINE,
  onPremises: ON_PREMISES,
  cloud: CLOUD,
};
const organizationInputs = {
  sourceTransportServers: strings("Transport servers of the on-premises organization that send to the tenants."),
  tenants: {
    type: "array",
    items: { $ref: "#/types/mailflow:exchange:OrganizationTenant" },
    description: "One entry per tenant (the Hybrid Configuration Wizard supports up to 5).",
  },
  exchangeOnline: EXCHANGE_ONLINE,
  onPremises: ON_PREMISES,
  cloud: CLOUD,
};
const relayInputs = {
  tenant: TENANT,
  service: str('The add-on service (signature service, CRM, gateway), e.g. "Contoso Signatures".'),
  certificate: ref("Certificate", "The certificate the service presents for this customer only."),
  certificateName: str("The per-customer domain on that certificate, an accepted domain of the tenant."),
  senderIPAddresses: strings("Only if the service also requires IP restriction; certificate-based is what Microsoft recommends."),
  inboundConnector: ref(
    "RelayInboundConnector",
    "The relay's inbound connector; by default named after the service and the certificate name.",
  ),
  exchangeOnline: EXCHANGE_ONLINE,
  cloud: CLOUD,
};

/** `mailflow:<key>` stack config: how the provider reaches Exchange when a resource does not say (pulumi import). */
const providerConfig = {
  endpoint: str("Exchange Online admin REST endpoint; default the cloud's (https://outlook.office365.com worldwide)."),
  token: str("Bearer token for Exchange Online (the local stand-in accepts any).", { secret: true }),
  clientId: str("App-only sign-in: the application (client) ID."),
  certificatePem: str("App-only sign-in: the app's public certificate (PEM)."),
  privateKeyPem: str("App-only sign-in: the app certificate's private key (PEM).", { secret: true }),
  onPremisesShell: strings("The command that runs Exchange Management Shell scripts from stdin, for imported Send Connectors."),
};

/** The schema for this package version. */
export function packageSchema(version: string): Record<string, unknown> {
  const identity = str("The connector's identity in Exchange.");
  return {
    name: "mailflow",
    displayName: "mailflow-guard",
    version,
    description:
      "Exchange mail-flow connector pairs, one certificate and one Send Connector per tenant (MC1226222), with the components that build them.",
    keywords: ["exchange", "exchange-online", "mail-flow", "category/utility", "kind/component"],
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)" },
    config: { variables: providerConfig },
    provider: {
      description:
        "The mailflow provider. Its configuration is what an import, and a connector whose state holds no credentials, use to reach Exchange; a resource's own connection comes first.",
      inputProperties: providerConfig,
    },
    types,
    resources: {
      "mailflow:exchange:InboundConnector": {
        description: "An Exchange Online inbound connector (New-InboundConnector). Import ID: <tenant>/<connector name>.",
        inputProperties: inboundProperties,
        requiredInputs: required(inboundProperties, ["tenant", "acceptedDomains", "name"]),
        properties: {
          ...inboundProperties,
          identity,
          guid: str("The connector's GUID."),
          comment: str("The connector's Comment as last seen."),
        },
        required: ["tenant", "acceptedDomains", "name", "identity"],
      },
      "mailflow:exchange:SendConnector": {
        description:
          "An on-premises Exchange Send Connector (New-SendConnector), run through Exchange Management Shell. Import ID: the connector's name.",
        inputProperties: sendProperties,
        requiredInputs: required(sendProperties, ["name", "addressSpaces", "sourceTransportServers"]),
        properties: {
          ...sendProperties,
          identity,
          script: str("The Exchange Management Shell script last run for this connector, exactly as run."),
          comment: str("The connector's Comment as last seen."),
        },
        required: ["name", "addressSpaces", "sourceTransportServers", "identity"],
      },
      "mailflow:exchange:TenantConnectorPair": {
        isComponent: true,
        description:
          "One on-premises Send Connector and one Exchange Online OnPremises inbound connector for one tenant, authenticated by a certificate dedicated to that tenant (MC1226222).",
        inputProperties: pairInputs,
        requiredInputs: required(pairInputs, ["tenant", "certificate", "certificateName", "sendConnector", "exchangeOnline"]),
        properties: {
          inboundConnectorIdentity: str("Identity of the inbound connector."),
          sendConnectorIdentity: str("Identity of the Send Connector."),
          certificateThumbprint: str("SHA-1 thumbprint of the tenant's certificate."),
        },
        required: ["inboundConnectorIdentity", "sendConnectorIdentity", "certificateThumbprint"],
      },
      "mailflow:exchange:HybridOrganization": {
        isComponent: true,
        description:
          "One on-premises Exchange organization sending to several tenants: a dedicated certificate and Send Connector per tenant.",
        inputProperties: organizationInputs,
        requiredInputs: required(organizationInputs, ["sourceTransportServers", "tenants", "exchangeOnline"]),
        properties: {
          tenants: {
            type: "array",
            items: { $ref: "#/types/mailflow:exchange:OrganizationTenantPath" },
            description: "One entry per tenant.",
          },
        },
        required: ["tenants"],
      },
      "mailflow:exchange:AddOnServiceRelay": {
        isComponent: true,
        description:
          "A third-party service relaying a customer's mail through Exchange Online with a certificate unique to that customer, whose domain is an accepted domain of the customer's tenant.",
        inputProperties: relayInputs,
        requiredInputs: required(relayInputs, ["tenant", "service", "certificate", "certificateName", "exchangeOnline"]),
        properties: {
          inboundConnectorIdentity: str("Identity of the inbound connector."),
          certificateThumbprint: str("SHA-1 thumbprint of the customer's certificate."),
        },
        required: ["inboundConnectorIdentity", "certificateThumbprint"],
      },
    },
  };
}
