import { domainToASCII } from "node:url";
import { quote } from "./errors";

/**
 * Values Exchange itself refuses, checked before anything is sent, so that `pulumi preview` (the
 * components and the pack) refuses what `pulumi up` would fail on half-way. Each check returns the
 * message for one field, or undefined when the value is one Exchange takes.
 *
 * Limits: Exchange stores a connector as an Active Directory object named by its common name (cn),
 * which the AD schema limits to 64 characters; New-SendConnector and New-InboundConnector do not
 * state a limit, and Exchange's "object names" table gives 64 for the names it lists. Not verified
 * against a live Exchange here. `-Fqdn` and `-SmartHosts` take a fully qualified domain name (smart hosts
 * also an IP address); `-SourceTransportServers` takes Exchange server names (New-SendConnector).
 * `SenderDomains` is stored in one attribute of at most 2,243 characters, each entry counted as
 * "smtp:<domain>;1" plus a separator (Microsoft support article 4014351).
 */

export const EXCHANGE_NAME_MAX_LENGTH = 64;
export const SENDER_DOMAINS_MAX_LENGTH = 2243;

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters in names is this check's purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function describeControl(value: string): string {
  const match = CONTROL.exec(value);
  const code = match?.[0].codePointAt(0) ?? 0;
  const names: Record<number, string> = { 9: "a tab", 10: "a line break", 13: "a carriage return", 0: "a NUL character" };
  return names[code] ?? `control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A connector's Name: 1–64 characters, no control characters, no leading or trailing spaces. */
export function connectorNameProblem(field: string, value: string): string | undefined {
  if (CONTROL.test(value))
    return `'${field}' ${quote(value)} contains ${describeControl(value)}; Exchange connector names are one line of text.`;
  if (value.trim() !== value)
    return `'${field}' ${quote(value)} starts or ends with a space; Exchange trims names, so the connector could not be found by this one.`;
  if (value.length === 0) return `'${field}' is empty; Exchange connectors need a name.`;
  if (value.length > EXCHANGE_NAME_MAX_LENGTH)
    return `'${field}' ${quote(value)} is ${value.length} characters long; Exchange connector names are at most ${EXCHANGE_NAME_MAX_LENGTH}. Use a shorter name.`;
  return undefined;
}

function hostLabelsProblem(value: string, minLabels: number): boolean {
  const ascii = domainToASCII(value.toLowerCase().replace(/\.$/, ""));
  if (ascii === "" || ascii.length > 253) return true;
  const labels = ascii.split(".");
  return labels.length < minLabels || !labels.every((label) => LABEL.test(label));
}

/** A host name: letters, digits and hyphens in dot-separated labels; `fqdn` needs at least two. */
export function hostNameProblem(
  field: string,
  value: string,
  options: { readonly fqdn: boolean; readonly ipAllowed?: boolean; readonly example: string },
): string | undefined {
  if (CONTROL.test(value))
    return `'${field}' ${quote(value)} contains ${describeControl(value)}; give a host name such as ${options.example}.`;
  // Exchange shows an IP smart host in brackets ("[203.0.113.5]"); both forms are accepted.
  if (options.ipAllowed && IPV4.test(value.replace(/^\[(.*)\]$/, "$1"))) return undefined;
  if (hostLabelsProblem(value, options.fqdn ? 2 : 1)) {
    const what = options.fqdn ? "a fully qualified host name" : "a server name";
    return `'${field}' ${quote(value)} is not ${what}${options.ipAllowed ? " or an IPv4 address" : ""}. Use letters, digits and hyphens in dot-separated labels, such as ${options.example}.`;
  }
  return undefined;
}

/** SenderDomains as Exchange stores them: "smtp:<domain>;1" entries, comma-separated, 2,243 characters at most. */
export function senderDomainsProblem(field: string, domains: readonly string[]): string | undefined {
  for (const [i, domain] of domains.entries()) {
    if (CONTROL.test(domain))
      return `'${field}[${i}]' ${quote(domain)} contains ${describeControl(domain)}; give a domain such as contoso.com or *.`;
  }
  const stored = domains.reduce((sum, domain) => sum + `smtp:${domain};1`.length, 0) + Math.max(0, domains.length - 1);
  if (stored > SENDER_DOMAINS_MAX_LENGTH)
    return `'${field}' holds ${domains.length} domains, ${stored} characters as Exchange stores them; the limit is ${SENDER_DOMAINS_MAX_LENGTH}. Split them over two connectors.`;
  return undefined;
}

/** Any other text value the providers send: one line, as a cmdlet parameter takes it. */
function oneLineProblem(field: string, value: string): string | undefined {
  return CONTROL.test(value) ? `'${field}' ${quote(value)} contains ${describeControl(value)}; Exchange takes it as one line.` : undefined;
}

/** Every problem of the values a provider would send for one connector, by the connector's field names. */
export function connectorValueProblems(kind: "inbound" | "send", values: Record<string, unknown>): string[] {
  const problems: (string | undefined)[] = [];
  const strings = (key: string): string[] =>
    Array.isArray(values[key]) ? (values[key] as unknown[]).filter((v) => typeof v === "string") : [];
  if (typeof values.name === "string") problems.push(connectorNameProblem("name", values.name));
  if (kind === "inbound") {
    problems.push(senderDomainsProblem("senderDomains", strings("senderDomains")));
    if (typeof values.addOnService === "string" && CONTROL.test(values.addOnService))
      problems.push(
        `'addOnService' ${quote(values.addOnService)} contains ${describeControl(values.addOnService)}; give the service's name on one line.`,
      );
  } else {
    if (typeof values.fqdn === "string") problems.push(hostNameProblem("fqdn", values.fqdn, { fqdn: true, example: "relay.contoso.com" }));
    for (const [i, host] of strings("smartHosts").entries())
      problems.push(
        hostNameProblem(`smartHosts[${i}]`, host, { fqdn: true, ipAllowed: true, example: "contoso.mail.protection.outlook.com" }),
      );
    for (const [i, server] of strings("sourceTransportServers").entries())
      problems.push(hostNameProblem(`sourceTransportServers[${i}]`, server, { fqdn: false, example: "EX01 or ex01.contoso.com" }));
    for (const [i, space] of strings("addressSpaces").entries()) problems.push(oneLineProblem(`addressSpaces[${i}]`, space));
    if (typeof values.tlsCertificateName === "string") problems.push(oneLineProblem("tlsCertificateName", values.tlsCertificateName));
  }
  return problems.filter((problem): problem is string => problem !== undefined);
}
