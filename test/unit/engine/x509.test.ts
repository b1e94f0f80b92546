import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { exchangeTlsCertificateName, InputError, nameCovers, parseCertificatePem } from "../../../policy/src/engine";
import { makeCertificatePem, makePrivateKeyPem } from "../../support/certs";

describe("parseCertificatePem", () => {
  it("reads thumbprints, names and validity in Exchange's format", () => {
    const pem = makeCertificatePem({ dnsNames: ["Relay.Contoso.com", "xn--bcher-kva.example"], organization: "Contoso" });
    const facts = parseCertificatePem(pem, "certificate.pem");
    const x509 = new X509Certificate(pem);
    assert.equal(facts.thumbprint, x509.fingerprint.replaceAll(":", ""));
    assert.match(facts.thumbprint, /^[0-9A-F]{40}$/);
    assert.equal(facts.sha256, x509.fingerprint256.replaceAll(":", ""));
    assert.equal(facts.subject, "CN=Relay.Contoso.com, O=Contoso, C=US");
    assert.equal(facts.issuer, "CN=Test Issuing CA, O=Test CA, C=US");
    assert.deepEqual(facts.dnsNames, ["relay.contoso.com", "xn--bcher-kva.example"]);
    assert.equal(facts.notAfter.toISOString(), "2036-01-01T00:00:00.000Z");
    assert.equal(exchangeTlsCertificateName(facts), "<I>CN=Test Issuing CA, O=Test CA, C=US<S>CN=Relay.Contoso.com, O=Contoso, C=US");
  });

  it("refuses a PEM that carries a private key", () => {
    const pem = `${makeCertificatePem({ dnsNames: ["relay.contoso.com"] })}\n${makePrivateKeyPem()}`;
    assert.throws(() => parseCertificatePem(pem, "tenants[0].certificate.pem"), {
      name: "InputError",
      message:
        "'tenants[0].certificate.pem' \"<PEM with a private key>\" contains a private key. Pass only the public certificate; the private key stays on the Exchange server.",
    });
  });

  it("refuses garbage and empty input, naming the field", () => {
    assert.throws(() => parseCertificatePem("hello", "certificate.pem"), {
      message: "'certificate.pem' \"hello\" is not a PEM certificate. Expected a -----BEGIN CERTIFICATE----- block.",
    });
    assert.throws(() => parseCertificatePem("  ", "certificate.pem"), {
      message: "'certificate.pem' \"  \" is empty. Give the public certificate in PEM form (-----BEGIN CERTIFICATE-----).",
    });
    assert.throws(
      () => parseCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "certificate.pem"),
      (error: unknown) => error instanceof InputError && /cannot be read as an X\.509 certificate/.test(error.message),
    );
  });
});

describe("nameCovers (RFC 6125)", () => {
  it("matches exact names and single-label wildcards only", () => {
    assert.equal(nameCovers("relay.contoso.com", "relay.contoso.com"), true);
    assert.equal(nameCovers("*.contoso.com", "relay.contoso.com"), true);
    assert.equal(nameCovers("*.contoso.com", "contoso.com"), false);
    assert.equal(nameCovers("*.contoso.com", "a.relay.contoso.com"), false);
    assert.equal(nameCovers("relay.contoso.com", "*.contoso.com"), false);
    assert.equal(nameCovers("*.contoso.com", "*.contoso.com"), true);
  });

  it("agrees with X509Certificate.checkHost on real certificates", () => {
    const pem = makeCertificatePem({ dnsNames: ["*.contoso.com", "mail.fabrikam.com"] });
    const x509 = new X509Certificate(pem);
    const facts = parseCertificatePem(pem, "pem");
    for (const host of [
      "relay.contoso.com",
      "contoso.com",
      "a.b.contoso.com",
      "mail.fabrikam.com",
      "fabrikam.com",
      "x.mail.fabrikam.com",
    ]) {
      const ours = facts.dnsNames.some((name) => nameCovers(name, host));
      assert.equal(ours, x509.checkHost(host) !== undefined, host);
    }
  });
});

describe("TlsCertificateName in Windows' rendering (CertNameToStr)", () => {
  // Real public CA certificates (test/fixtures/certs-real), read from the source tree.
  const REAL = join(__dirname, "..", "..", "..", "..", "test", "fixtures", "certs-real");
  const real = (file: string) => parseCertificatePem(readFileSync(join(REAL, file), "utf8"), file);

  it("writes S= for the state and double-quotes a value with a comma (GoDaddy)", () => {
    assert.equal(
      real("godaddy-root-g2.pem").subject,
      'CN=Go Daddy Root Certificate Authority - G2, O="GoDaddy.com, Inc.", L=Scottsdale, S=Arizona, C=US',
    );
  });

  it("writes the most specific RDN first (DigiCert, Let's Encrypt's ISRG)", () => {
    assert.equal(real("digicert-global-root-g2.pem").subject, "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US");
    assert.equal(real("isrg-root-x1.pem").issuer, "CN=ISRG Root X1, O=Internet Security Research Group, C=US");
  });

  it("writes E= for the e-mail address (Microsec e-Szigno)", () => {
    assert.equal(
      real("microsec-e-szigno-root-2009.pem").subject,
      "E=info@e-szigno.hu, CN=Microsec e-Szigno Root CA 2009, O=Microsec Ltd., L=Budapest, C=HU",
    );
  });

  it('joins a multi-valued RDN with " + " and doubles quotation marks inside a quoted value', () => {
    const facts = real("multivalued-quoted.pem");
    assert.equal(
      facts.subject,
      'E=postmaster@tailspintoys.com, CN=relay.tailspintoys.com, OU=Mail + OU=Relay, O="Tailspin ""Toys"", Ltd.", L=Redmond, S=Washington, C=US',
    );
    assert.equal(facts.commonName, "relay.tailspintoys.com");
  });

  it("builds <I>issuer<S>subject for a leaf issued by GoDaddy's intermediate", () => {
    const pem = makeCertificatePem({
      dnsNames: ["relay.contoso.com"],
      subject: [{ shortName: "CN", value: "relay.contoso.com" }],
      issuer: [
        { shortName: "C", value: "US" },
        { shortName: "ST", value: "Arizona" },
        { shortName: "L", value: "Scottsdale" },
        { shortName: "O", value: "GoDaddy.com, Inc." },
        { shortName: "OU", value: "http://certs.godaddy.com/repository/" },
        { shortName: "CN", value: "Go Daddy Secure Certificate Authority - G2" },
      ],
    });
    assert.equal(
      exchangeTlsCertificateName(parseCertificatePem(pem, "certificate.pem")),
      '<I>CN=Go Daddy Secure Certificate Authority - G2, OU=http://certs.godaddy.com/repository/, O="GoDaddy.com, Inc.", L=Scottsdale, S=Arizona, C=US<S>CN=relay.contoso.com',
    );
  });
});
