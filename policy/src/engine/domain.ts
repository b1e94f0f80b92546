import { domainToASCII } from "node:url";
import { InputError } from "./errors";

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalizes a DNS domain for comparison: trims, lower-cases, strips one trailing dot and
 * converts IDN labels to punycode. A leading "*." label is kept (wildcards are meaningful in
 * certificate names). Throws an InputError naming `field` when the value is not a domain.
 */
export function normalizeDomain(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed === "") {
    throw new InputError(field, value, "is empty. Give a DNS domain such as relay.contoso.com.");
  }
  const noDot = trimmed.endsWith(".") ? trimmed.slice(0, -1) : trimmed;
  const wildcard = noDot.startsWith("*.");
  const rest = wildcard ? noDot.slice(2) : noDot;
  const ascii = domainToASCII(rest.toLowerCase());
  if (ascii === "" || !ascii.split(".").every((label) => LABEL.test(label)) || !ascii.includes(".")) {
    throw new InputError(
      field,
      value,
      "is not a valid DNS domain. Use a fully qualified name such as relay.contoso.com (letters, digits and hyphens, at least two labels).",
    );
  }
  return wildcard ? `*.${ascii}` : ascii;
}

/** True when the name is a wildcard such as *.contoso.com. */
export function isWildcard(domain: string): boolean {
  return domain.startsWith("*.");
}

/**
 * Exchange writes SenderDomains and AddressSpaces as typed address spaces: "smtp:*;1" and "*" are
 * the same, as are "SMTP:Contoso.com;1" and "contoso.com" (type prefix and cost dropped, lower case,
 * no trailing dot).
 */
export function normalizeAddressSpace(value: string): string {
  const typed = /^([a-z0-9-]+):(.*)$/i.exec(value.trim());
  const withoutType = typed ? (typed[2] ?? "") : value;
  const withoutCost = withoutType.replace(/;\d+$/, "");
  return withoutCost.trim().toLowerCase().replace(/\.$/, "");
}
