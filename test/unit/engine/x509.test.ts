import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
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
