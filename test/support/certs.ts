import forge from "node-forge";

/**
 * Test certificates made on the fly: public PEMs with chosen names and validity, all signed by one
 * throw-away key per process (key generation is the slow part). The key never leaves this module.
 */
export interface TestCertificateOptions {
  /** Subject CN; default the first DNS name. */
  readonly commonName?: string;
  /** SAN DNS names. */
  readonly dnsNames?: readonly string[];
  readonly organization?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Distinguishes otherwise identical certificates (different thumbprints). */
  readonly serial?: number;
  readonly issuerCommonName?: string;
  /** The whole subject, in certificate (DER) order, most general first; replaces C/O/CN above. */
  readonly subject?: readonly CertificateAttribute[];
  /** The whole issuer, in certificate (DER) order. */
  readonly issuer?: readonly CertificateAttribute[];
}

/** One name attribute: a short name forge knows (C, ST, L, O, OU, CN) or a name ("emailAddress"). */
export type CertificateAttribute =
  | { readonly shortName: string; readonly value: string }
  | { readonly name: string; readonly value: string };

let keys: forge.pki.rsa.KeyPair | undefined;
let serialCounter = 1;

export function makeCertificatePem(options: TestCertificateOptions): string {
  keys ??= forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = (0x10000000 + (options.serial ?? serialCounter++)).toString(16); // no leading zero: DER forbids it
  cert.validity.notBefore = options.notBefore ?? new Date("2026-01-01T00:00:00Z");
  cert.validity.notAfter = options.notAfter ?? new Date("2036-01-01T00:00:00Z");
  const cn = options.commonName ?? options.dnsNames?.[0] ?? "test";
  const subject = [
    { shortName: "C", value: "US" },
    { shortName: "O", value: options.organization ?? "Test Org" },
    { shortName: "CN", value: cn },
  ];
  cert.setSubject(options.subject ? options.subject.map((a) => ({ ...a })) : subject);
  cert.setIssuer(
    options.issuer
      ? options.issuer.map((a) => ({ ...a }))
      : [
          { shortName: "C", value: "US" },
          { shortName: "O", value: "Test CA" },
          { shortName: "CN", value: options.issuerCommonName ?? "Test Issuing CA" },
        ],
  );
  if (options.dnsNames && options.dnsNames.length > 0) {
    cert.setExtensions([{ name: "subjectAltName", altNames: options.dnsNames.map((value) => ({ type: 2, value })) }]);
  }
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A PEM holding a private key, to prove it is refused. */
export function makePrivateKeyPem(): string {
  keys ??= forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  return forge.pki.privateKeyToPem(keys.privateKey);
}
