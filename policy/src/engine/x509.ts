import { X509Certificate } from "node:crypto";
import { normalizeDomain } from "./domain";
import { InputError } from "./errors";

/** What the rules need to know about a public certificate, from a PEM or from an export. */
export interface CertificateFacts {
  /** SHA-1 thumbprint, upper-case hex without separators, as Exchange shows it. */
  readonly thumbprint: string;
  /** SHA-256 fingerprint, upper-case hex without separators (absent in some exports). */
  readonly sha256?: string;
  /** Subject in Exchange's order and format: "CN=relay.contoso.com, O=Contoso, C=US". */
  readonly subject: string;
  /** Issuer in Exchange's order and format. */
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
  if (blocks.some((block) => block[1]?.includes("PRIVATE KEY")) || /PRIVATE KEY-----/.test(pem)) {
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

/** Node prints names one attribute per line, most significant first; Exchange prints them reversed. */
export function exchangeDistinguishedName(nodeName: string): string {
  return nodeName
    .split("\n")
    .filter((line) => line !== "")
    .reverse()
    .join(", ");
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
  const cnLine = x509.subject.split("\n").find((line) => line.startsWith("CN="));
  const cn = cnLine?.slice(3);
  let commonName: string | undefined;
  try {
    commonName = cn ? normalizeDomain(cn, "subject CN") : undefined;
  } catch {
    commonName = undefined; // a CN that is not a host name (e.g. "Contoso Relay") covers nothing
  }
  return {
    thumbprint: hex(x509.fingerprint),
    sha256: hex(x509.fingerprint256),
    subject: exchangeDistinguishedName(x509.subject),
    issuer: exchangeDistinguishedName(x509.issuer),
    ...(commonName ? { commonName } : {}),
    dnsNames: sanDnsNames(x509),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
  };
}

/** Exchange's TlsCertificateName for a certificate: "<I>issuer<S>subject". */
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
 * "contoso.com" nor "a.relay.contoso.com"). A wildcard host (a wildcard TlsSenderCertificateName)
 * is covered only by the identical wildcard. This is the rule X509Certificate.checkHost applies;
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

/** The presented name that covers `host`, if any. */
export function coveringName(cert: Pick<CertificateFacts, "dnsNames" | "commonName">, host: string): string | undefined {
  return presentedNames(cert).find((name) => nameCovers(name, host));
}
