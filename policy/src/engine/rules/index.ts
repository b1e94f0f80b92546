import type { Rule } from "../rule";
import { addOnRelayPerCustomerCertificate } from "./add-on-relay";
import { certificateAuthPreferred } from "./certificate-auth-preferred";
import { certificateCoversSenderName } from "./certificate-covers-sender-name";
import { certificateNameAccepted } from "./certificate-name-accepted";
import { certificateReuse } from "./certificate-reuse";
import { certificateValidity } from "./certificate-validity";
import { exchangeAcceptsValues } from "./exchange-accepts-values";
import { inboundConnectorSettings } from "./inbound-connector-settings";
import { sendConnectorPerTenant } from "./send-connector-per-tenant";
import { sendConnectorTls } from "./send-connector-tls";
import { senderIpAcceptedByExchangeOnline } from "./sender-ip-accepted";
import { senderIpNotShared } from "./sender-ip-not-shared";
import { securityValuesKnown } from "./security-values-known";
import { tenantDeclaredOnce } from "./tenant-declared-once";

export {
  addOnRelayPerCustomerCertificate,
  certificateAuthPreferred,
  certificateCoversSenderName,
  certificateNameAccepted,
  certificateReuse,
  certificateValidity,
  exchangeAcceptsValues,
  inboundConnectorSettings,
  securityValuesKnown,
  sendConnectorPerTenant,
  sendConnectorTls,
  senderIpAcceptedByExchangeOnline,
  senderIpNotShared,
  tenantDeclaredOnce,
};

/** Every rule, in the order findings are reported (unknown values first: they explain skipped checks). */
export const rules: readonly Rule[] = [
  securityValuesKnown,
  tenantDeclaredOnce,
  certificateReuse,
  sendConnectorPerTenant,
  certificateNameAccepted,
  certificateCoversSenderName,
  senderIpNotShared,
  senderIpAcceptedByExchangeOnline,
  certificateAuthPreferred,
  certificateValidity,
  sendConnectorTls,
  inboundConnectorSettings,
  addOnRelayPerCustomerCertificate,
  exchangeAcceptsValues,
];
