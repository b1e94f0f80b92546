import { X509Certificate } from "node:crypto";
import { normalizeDomain } from "./domain";
import { InputError } from "./errors";
import { containsPrivateKey } from "./secret-shape";

/** What the rules need to know about a public certificate, from a PEM or from an export. */
export interface CertificateFacts {
  /** SHA-1 thumbprint, upper-case hex without separators, as Exchange shows it. */
  readonly thumbprint: string;
  /** SHA-256 fingerprint, upper-case hex without separators (absent in some exports). */
  readonly sha256?: string;
  /** Subject as Windows renders it: "CN=relay.contoso.com, O=\"Contoso, Ltd.\", S=Washington, C=US". */
  readonly subject: string;
  /** Issuer as Windows renders it. */
  readonly issuer: string;
  /** The subject common name, normalized, if any. */
  readonly commonName?: string;
  /** SAN DNS names, normalized (IDN as punycode, lower case). */
  readonly dnsNames: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Parses a public certificate (the first CERTIFICATE block of a PEM; further blocks are taken as
 * the chain and ignored). A PEM that contains a private key is refused: the components never
 * need one, and it must not reach Pulumi state.
 */
export function parseCertificatePem(pem: string, field: string): CertificateFacts {
  if (typeof pem !== "string" || pem.trim() === "") {
    throw new InputError(field, pem, "is empty. Give the public certificate in PEM form (-----BEGIN CERTIFICATE-----).");
  }
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (containsPrivateKey(pem)) {
    throw new InputError(
      field,
      "<PEM with a private key>",
      "contains a private key. Pass only the public certificate; the private key stays on the Exchange server.",
    );
  }
  const certificate = blocks.find((block) => block[1] === "CERTIFICATE");
  if (certificate === undefined) {
    throw new InputError(field, pem, "is not a PEM certificate. Expected a -----BEGIN CERTIFICATE----- block.");
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certificate[0]);
  } catch (error) {
    throw new InputError(
      field,
      `${certificate[0].slice(0, 40)}...`,
      `cannot be read as an X.509 certificate (${(error as Error).message}). Export it again as Base-64 PEM.`,
    );
  }
  return factsFromX509(x509);
}

function hex(fingerprint: string): string {
  return fingerprint.replaceAll(":", "").toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Windows' rendering of a distinguished name
// ---------------------------------------------------------------------------------------------

/**
 * X.500 key names as CryptoAPI writes them (CertNameToStr, CERT_X500_NAME_STR): `S` for the state,
 * `E` for the e-mail address, `SERIALNUMBER`, `DC`... An attribute without a key name is written
 * `OID.<dotted>` (EV certificates' jurisdiction fields show up that way in Windows).
 * https://learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certnametostra
 */
const WINDOWS_KEYS: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "S",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "T",
  "2.5.4.13": "Description",
  "2.5.4.17": "PostalCode",
  "2.5.4.18": "POBox",
  "2.5.4.20": "Phone",
  "2.5.4.24": "X21Address",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.46": "dnQualifier",
  "1.2.840.113549.1.9.1": "E",
  "0.9.2342.19200300.100.1.25": "DC",
};

/** One attribute of a relative distinguished name, in certificate (DER) order. */
export interface NameAttribute {
  readonly oid: string;
  readonly value: string;
}

/** A distinguished name as encoded: RDNs from the most general (C) to the most specific (CN); each may hold several attributes. */
export type DistinguishedName = readonly (readonly NameAttribute[])[];

/**
 * CertNameToStr quotes a value that is empty, has leading or trailing white space, or contains
 * `,` `+` `=` `"` `\n` `<` `>` `#` `;`, and doubles quotation marks inside it.
 */
function windowsValue(value: string): string {
  if (value === "" || /^\s|\s$|[,+="\n<>#;]/.test(value)) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

/**
 * A distinguished name the way Windows prints it in X509Certificate2.Subject / Issuer and
 * Get-ExchangeCertificate (CertNameToStr with CERT_X500_NAME_STR | CERT_NAME_STR_REVERSE_FLAG): the
 * most specific RDN first, RDNs joined by ", ", the attributes of a multi-valued RDN joined by " + "
 * in their encoded order, Windows' key names, Windows' quoting. Exchange compares TlsCertificateName
 * (`<I>issuer<S>subject`) with this text, so OpenSSL's or Node's rendering (`ST=`,
 * `emailAddress=`, backslash escapes) would not match.
 */
export function windowsDistinguishedName(name: DistinguishedName): string {
  return [...name]
    .reverse()
    .map((rdn) =>
      rdn.map((attribute) => `${WINDOWS_KEYS[attribute.oid] ?? `OID.${attribute.oid}`}=${windowsValue(attribute.value)}`).join(" + "),
    )
    .join(", ");
}

interface Der {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  readonly bytes: Buffer;
}

function readDer(bytes: Buffer, offset: number): Der {
  const tag = bytes[offset] as number;
  let length = bytes[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[start + i] as number);
    start += count;
  }
  if (start + length > bytes.length) throw new Error("truncated DER");
  return { tag, start, end: start + length, bytes };
}

function children(node: Der): Der[] {
  const out: Der[] = [];
  for (let offset = node.start; offset < node.end; ) {
    const child = readDer(node.bytes, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function oidText(node: Der): string {
  const body = node.bytes.subarray(node.start, node.end);
  const first = body[0] as number;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (const byte of body.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

function stringValue(node: Der): string {
  const body = node.bytes.subarray(node.start, node.end);
  switch (node.tag) {
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(body).swap16().toString("utf16le");
    case 0x1c: {
      // UniversalString: UTF-32BE
      let text = "";
      for (let i = 0; i + 3 < body.length; i += 4) text += String.fromCodePoint(body.readUInt32BE(i));
      return text;
    }
    case 0x14: // TeletexString: Windows reads it as Latin-1 unless it is valid UTF-8
    case 0x13: // PrintableString
    case 0x16: // IA5String
      return body.toString("latin1");
    default: // UTF8String and anything else textual
      return body.toString("utf8");
  }
}

function parseName(node: Der): DistinguishedName {
  return children(node).map((set) =>
    children(set).map((attribute) => {
      const [oid, value] = children(attribute) as [Der, Der];
      return { oid: oidText(oid), value: stringValue(value) };
    }),
  );
}

/** Issuer and subject of a DER certificate, as encoded. */
export function certificateNames(der: Buffer): { issuer: DistinguishedName; subject: DistinguishedName } {
  const certificate = readDer(der, 0);
  const tbs = children(certificate)[0] as Der;
  const fields = children(tbs);
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, ...
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  return { issuer: parseName(rest[2] as Der), subject: parseName(rest[4] as Der) };
}

function sanDnsNames(x509: X509Certificate): string[] {
  const san = x509.subjectAltName;
  if (!san) return [];
  return (
    san
      .split(/,\s*/)
      .filter((entry) => entry.startsWith("DNS:"))
      // Node quotes entries with unusual characters as JSON strings: DNS:"b\u00fccher.example".
      .map((entry) => entry.slice(4))
      .map((name) => normalizeDomain(name.startsWith('"') ? (JSON.parse(name) as string) : name, "subjectAltName"))
  );
}

function factsFromX509(x509: X509Certificate): CertificateFacts {
  const names = certificateNames(x509.raw);
  // The most specific CN, as Windows and Exchange (SubjectCommonName) take it.
  const cn = [...names.subject]
    .reverse()
    .flat()
    .find((attribute) => attribute.oid === "2.5.4.3")?.value;
  let commonName: string | undefined;
  try {
    commonName = cn ? normalizeDomain(cn, "subject CN") : undefined;
  } catch {
    commonName = undefined; // a CN that is not a host name (e.g. "Contoso Relay") covers nothing
  }
  return {
    thumbprint: hex(x509.fingerprint),
    sha256: hex(x509.fingerprint256),
    subject: windowsDistinguishedName(names.subject),
    issuer: windowsDistinguishedName(names.issuer),
    ...(commonName ? { commonName } : {}),
    dnsNames: sanDnsNames(x509),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
  };
}

/**
 * Exchange's TlsCertificateName for a certificate: "<I>issuer<S>subject", both in Windows' rendering
 * (New-SendConnector builds it as "<I>$($cert.Issuer)<S>$($cert.Subject)" from Get-ExchangeCertificate).
 */
export function exchangeTlsCertificateName(cert: Pick<CertificateFacts, "issuer" | "subject">): string {
  return `<I>${cert.issuer}<S>${cert.subject}`;
}

/**
 * The names a certificate presents for host matching: SAN DNS names when there are any
 * (RFC 6125 §6.4.4: then the CN is ignored), otherwise the CN.
 */
export function presentedNames(cert: Pick<CertificateFacts, "dnsNames" | "commonName">): readonly string[] {
  if (cert.dnsNames.length > 0) return cert.dnsNames;
  return cert.commonName ? [cert.commonName] : [];
}

/**
 * RFC 6125 host matching of a normalized host name against one presented name: a wildcard
 * matches exactly one whole left-most label ("*.contoso.com" covers "relay.contoso.com", not
 * "contoso.com" nor "a.relay.contoso.com"). A wildcard host is covered only by the identical
 * wildcard (a wildcard TlsSenderCertificateName has Exchange's own meaning: senderNameAccepts). This is the rule X509Certificate.checkHost applies;
 * it is written out so exports without the DER (Get-ExchangeCertificate JSON) match the same way.
 */
export function nameCovers(presented: string, host: string): boolean {
  if (presented === host) return true;
  if (!presented.startsWith("*.") || host.startsWith("*.")) return false;
  const suffix = presented.slice(1); // ".contoso.com"
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes(".");
}

/**
 * Whether an inbound connector's TlsSenderCertificateName accepts a presented name. An exact name
 * follows RFC 6125 (nameCovers). A wildcard one is Exchange Online's own syntax, not RFC 6125:
 * New-InboundConnector documents `*.contoso.com` as "contoso.com and all its subdomains", so it
 * accepts contoso.com, relay.contoso.com, a.b.contoso.com and a presented *.contoso.com or
 * *.relay.contoso.com.
 */
export function senderNameAccepts(senderName: string, presented: string): boolean {
  if (!senderName.startsWith("*.")) return nameCovers(presented, senderName);
  const domain = senderName.slice(2);
  const name = presented.startsWith("*.") ? presented.slice(2) : presented;
  return name === domain || name.endsWith(`.${domain}`);
}

/** The presented name that the connector's TlsSenderCertificateName accepts, if any. */
export function coveringName(cert: Pick<CertificateFacts, "dnsNames" | "commonName">, host: string): string | undefined {
  return presentedNames(cert).find((name) => senderNameAccepts(host, name));
}
