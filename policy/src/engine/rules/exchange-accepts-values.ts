import { quote } from "../errors";
import { connectorValueProblems } from "../exchange-values";
import type { Draft, Rule } from "../rule";

/**
 * A value Exchange refuses fails `pulumi up` half-way (the Send Connector created, the inbound
 * connector not). Judging it here makes preview refuse it, through the components and the pack
 * alike, for connectors the components build and connectors written by hand.
 */
export const exchangeAcceptsValues: Rule = {
  id: "exchange-accepts-values",
  description:
    "Checks that connector names, host names (Fqdn, SmartHosts, SourceTransportServers) and SenderDomains are values Exchange accepts, so up cannot fail half-way.",
  defaultSeverity: "mandatory",
  source: "New-SendConnector and New-InboundConnector docs; Active Directory name limit; Microsoft support article 4014351",
  scope: "connector",
  *check({ inventory }): Iterable<Draft> {
    for (const connector of inventory.inboundConnectors) {
      for (const problem of connectorValueProblems("inbound", connector)) {
        yield {
          resource: connector.ref,
          tenant: connector.tenant,
          message: `Inbound connector ${quote(connector.name)}: ${problem}`,
          remediation: "Change the value where the connector is declared; New-/Set-InboundConnector would refuse it.",
        };
      }
    }
    for (const connector of inventory.sendConnectors) {
      for (const problem of connectorValueProblems("send", connector)) {
        yield {
          resource: connector.ref,
          ...(connector.tenants.length === 1 ? { tenant: connector.tenants[0] as string } : {}),
          message: `Send connector ${quote(connector.name)}: ${problem}`,
          remediation: "Change the value where the connector is declared; New-/Set-SendConnector would refuse it.",
        };
      }
    }
  },
};
