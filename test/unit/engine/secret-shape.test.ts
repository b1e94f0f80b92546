import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCertificatePem, quote, secretShape } from "../../../policy/src/engine";

describe("secretShape", () => {
  const hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  it("recognises hex keys and digests of 32, 40 and 64 characters, either case", () => {
    for (const text of [hex, hex.toUpperCase(), hex.slice(0, 40), hex.slice(0, 32)]) assert.equal(secretShape(text), "a hex string");
  });
  it("recognises JWTs, base64 and PEM blocks whatever the header's case", () => {
    assert.equal(secretShape("eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln"), "a JWT");
    assert.equal(secretShape("Zk3qT9wLm2Xv8RbN4cYp7HsJ"), "a base64 string");
    assert.equal(secretShape("c2VjcmV0IHZhbHVlIGhlcmUh="), "a base64 string");
    assert.equal(secretShape("-----BEGIN private key-----\nMIIE\n-----END private key-----"), "a private key");
    assert.equal(secretShape("-----begin Encrypted Private Key-----\nMIIE"), "a private key");
    assert.equal(secretShape("-----BEGIN CERTIFICATE-----\nMIIB"), "a PEM block");
  });
  it("leaves names alone: variables, domains, connector names, thumbprint-length words", () => {
    for (const text of ["EXO_TOKEN", "contoso.onmicrosoft.com", "Outbound to contoso.onmicrosoft.com", "relay.contoso.com", "s5hg3dcg14h8"])
      assert.equal(secretShape(text), undefined, text);
  });
});

describe("messages never quote a PEM block", () => {
  it("a private key under a lowercase header is refused as a private key, not quoted", () => {
    const pem = "-----BEGIN private key-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END private key-----\n";
    assert.throws(
      () => parseCertificatePem(pem, "certificate.pem"),
      (error: Error) =>
        error.message ===
        "'certificate.pem' \"<PEM with a private key>\" contains a private key. Pass only the public certificate; the private key stays on the Exchange server.",
    );
  });
  it("quote describes a PEM block or JWT by shape and length", () => {
    assert.equal(quote("-----BEGIN RSA PRIVATE KEY-----\nabc"), "(a private key, 35 characters, not shown)");
    assert.equal(quote("relay.contoso.com"), '"relay.contoso.com"');
  });
});
