export { type AddOnServiceRelayArgs, AddOnServiceRelay } from "./add-on-service-relay";
export { type HybridOrganizationArgs, HybridOrganization } from "./hybrid-organization";
export { InboundConnector } from "./providers/inbound-connector";
export { SendConnector } from "./providers/send-connector";
export { type TenantConnectorPairArgs, TenantConnectorPair } from "./tenant-connector-pair";
export type { AdoptArgs, CertificateArgs, CloudName, ExchangeOnlineArgs, OnPremisesArgs, TenantArgs } from "./types";
