import { classifySenderAddress, nonPublicBlock } from "../ipv4";
import type { Draft, Rule } from "../rule";
import { isUnknown } from "./shared";

/**
 * Why an entry is wrong: `refused` when Exchange Online rejects it (New-InboundConnector: IPv4 only,
 * /24 to /32, no ranges), `neverMatches` for a private or reserved address, which Exchange accepts
 * (the cmdlet's own example uses 192.168.0.1/25) but no connecting server has on the internet.
 */
function rejection(raw: string): { kind: "refused" | "neverMatches"; why: string } | undefined {
  const why = refusal(raw);
  if (why) return { kind: "refused", why };
  const parsed = classifySenderAddress(raw);
  const reserved = parsed.kind === "ipv4" ? nonPublicBlock(parsed.block) : undefined;
  if (reserved) {
    return {
      kind: "neverMatches",
      why: `is in the private or reserved range ${reserved.text}. Exchange Online accepts it, but it never matches: servers reach Exchange Online from public addresses`,
    };
  }
  return undefined;
}

/** Why Exchange Online refuses an entry, or undefined when it accepts it. */
function refusal(raw: string): string | undefined {
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
      return undefined;
    }
  }
}

/** New-InboundConnector -SenderIPAddresses takes IPv4 addresses and CIDR blocks /24 to /32; only public ones ever match. */
export const senderIpAcceptedByExchangeOnline: Rule = {
  id: "sender-ip-accepted-by-exchange-online",
  description: "Checks that every SenderIPAddresses entry is an IPv4 address or a CIDR block from /24 to /32, as Exchange Online requires.",
  defaultSeverity: "mandatory",
  source: "New-InboundConnector docs",
  scope: "connector",
  advisoryPart: "Checks that no SenderIPAddresses entry is a private or reserved address, which Exchange Online accepts but never matches.",
  *check({ inventory }): Iterable<Draft> {
    for (const connector of inventory.inboundConnectors) {
      if (isUnknown(connector, "senderIPAddresses")) continue;
      for (const raw of connector.senderIPAddresses) {
        const problem = rejection(raw);
        if (!problem) continue;
        yield {
          resource: connector.ref,
          tenant: connector.tenant,
          ...(problem.kind === "neverMatches" ? { severity: "advisory" as const } : {}),
          message: `'SenderIPAddresses' entry "${raw}" of inbound connector "${connector.name}" ${problem.why}.`,
          remediation: `Replace it in Set-InboundConnector "${connector.name}" -SenderIPAddresses with the public IPv4 address(es) of the sending server (CIDR /24 to /32), or authenticate with -TlsSenderCertificateName instead.`,
        };
      }
    }
  },
};
