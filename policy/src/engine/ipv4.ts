import ipaddr from "ipaddr.js";
import { InputError } from "./errors";

/** An IPv4 address or CIDR block as an inclusive range of 32-bit integers. */
export interface Ipv4Block {
  /** Canonical text: a.b.c.d for a single address, a.b.c.d/n (network address) for a block. */
  readonly text: string;
  readonly prefix: number;
  readonly first: number;
  readonly last: number;
}

/** How a SenderIPAddresses entry reads before any Exchange Online rule is applied. */
export type SenderAddress =
  | { readonly kind: "ipv4"; readonly raw: string; readonly block: Ipv4Block }
  | { readonly kind: "ipv6" | "range" | "malformed"; readonly raw: string };

function toInt(address: ipaddr.IPv4): number {
  const [a, b, c, d] = address.octets as [number, number, number, number];
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function fromInt(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function blockFromRange(first: number, prefix: number): Ipv4Block {
  const size = 2 ** (32 - prefix);
  const start = Math.floor(first / size) * size;
  return {
    text: prefix === 32 ? fromInt(start) : `${fromInt(start)}/${prefix}`,
    prefix,
    first: start,
    last: start + size - 1,
  };
}

/** Classifies one SenderIPAddresses entry without throwing (rules report what is wrong). */
export function classifySenderAddress(raw: string): SenderAddress {
  const value = raw.trim();
  if (/^[0-9.]+\s*-\s*[0-9.]+$/.test(value)) return { kind: "range", raw };
  const [addr, prefixText, ...extra] = value.split("/");
  if (addr === undefined || extra.length > 0) return { kind: "malformed", raw };
  if (ipaddr.IPv6.isValid(addr) && !ipaddr.IPv4.isValid(addr)) return { kind: "ipv6", raw };
  if (!ipaddr.IPv4.isValidFourPartDecimal(addr)) return { kind: "malformed", raw };
  let prefix = 32;
  if (prefixText !== undefined) {
    if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return { kind: "malformed", raw };
    prefix = Number(prefixText);
  }
  return { kind: "ipv4", raw, block: blockFromRange(toInt(ipaddr.IPv4.parse(addr)), prefix) };
}

/**
 * Parses an IPv4 address or CIDR strictly; anything else is an InputError naming `field`.
 * Host bits set in a CIDR are cleared (10.0.0.7/24 becomes 10.0.0.0/24).
 */
export function parseIpv4Block(raw: string, field: string): Ipv4Block {
  const parsed = classifySenderAddress(raw);
  switch (parsed.kind) {
    case "ipv4":
      return parsed.block;
    case "ipv6":
      throw new InputError(field, raw, "is an IPv6 address. Only IPv4 addresses and CIDR blocks are supported here.");
    case "range":
      throw new InputError(field, raw, "is an address range. Write it as CIDR blocks (for example 203.0.113.0/24).");
    default:
      throw new InputError(field, raw, "is not an IPv4 address or CIDR block. Use a.b.c.d or a.b.c.d/n with n from 0 to 32.");
  }
}

/** True when the two blocks share at least one address. */
export function overlaps(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return outer.first <= inner.first && inner.last <= outer.last;
}

/** RFC 1918, loopback, link-local, CGNAT and other non-routable space Exchange Online cannot see. */
const NON_PUBLIC = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "100.64.0.0/10",
  "0.0.0.0/8",
  "224.0.0.0/4",
  "240.0.0.0/4",
].map((cidr) => parseIpv4Block(cidr, "NON_PUBLIC"));

/** The non-public block that contains or overlaps `block`, if any. */
export function nonPublicBlock(block: Ipv4Block): Ipv4Block | undefined {
  return NON_PUBLIC.find((range) => overlaps(range, block));
}
