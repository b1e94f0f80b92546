import { classifySenderAddress, nonPublicBlock } from "../ipv4";
import type { Draft, Rule } from "../rule";
import { isUnknown } from "./shared";

/** Why Exchange Online refuses an entry, or undefined when it accepts it. */
function rejection(raw: string): string | undefined {
  const parsed = classifySenderAddress(raw);
  switch (parsed.kind) {
    case "ipv6":
      return "is an IPv6 address; Exchange Online accepts only IPv4 sender addresses";
    case "range":
      return "is an address range; write it as IPv4 CIDR blocks from /24 to /32";
    case "malformed":
      return "is not an IPv4 address or CIDR block";
    case "ipv4": {
      if (parsed.block.prefix < 24) return `is a /${parsed.block.prefix}; Exchange Online accepts prefixes from /24 to /32 only`;
      const reserved = nonPublicBlock(parsed.block);
      if (reserved) return `is in non-public range ${reserved.text}, which Exchange Online never sees as a sending address`;
      return undefined;
    }
  }
}

/** New-InboundConnector -SenderIPAddresses takes public IPv4 addresses and CIDR blocks /24 to /32. */
export const senderIpAcceptedByExchangeOnline: Rule = {
  id: "sender-ip-accepted-by-exchange-online",
  description:
    "Checks that every SenderIPAddresses entry is a public IPv4 address or a CIDR block from /24 to /32, as Exchange Online requires.",
  defaultSeverity: "mandatory",
  source: "New-InboundConnector docs",
  scope: "connector",
  *check({ inventory }): Iterable<Draft> {
    for (const connector of inventory.inboundConnectors) {
      if (isUnknown(connector, "senderIPAddresses")) continue;
      for (const raw of connector.senderIPAddresses) {
        const why = rejection(raw);
        if (!why) continue;
        yield {
          resource: connector.ref,
          tenant: connector.tenant,
          message: `'SenderIPAddresses' entry "${raw}" of inbound connector "${connector.name}" ${why}.`,
          remediation: `Replace it in Set-InboundConnector "${connector.name}" -SenderIPAddresses with the public IPv4 address(es) of the sending server (CIDR /24 to /32), or authenticate with -TlsSenderCertificateName instead.`,
        };
      }
    }
  },
};
