import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { AddOnServiceRelay, HybridOrganization, TenantConnectorPair } from "../../../components";
import { makeCertificatePem, makePrivateKeyPem } from "../../support/certs";

// The components' answers to a new user's mistakes (issue 18), each at preview, nothing created.
const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
before(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    },
    "mailflow-guard",
    "unit",
    true,
  );
});
beforeEach(() => registered.splice(0));
const settle = () => new Promise((resolve) => setImmediate(resolve));
const connectors = () => registered.filter((r) => /-(inbound|send)$/.test(r.name));

const contosoPem = makeCertificatePem({ dnsNames: ["relay.contoso.com"], organization: "Contoso" });
const pair = (exchangeOnline: unknown) => ({
  tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "relay.contoso.com"] },
  certificate: { pem: contosoPem },
  certificateName: "relay.contoso.com",
  sendConnector: { sourceTransportServers: ["EX01"] },
  exchangeOnline: exchangeOnline as { token: string },
});

describe("Exchange Online settings are checked at preview, with the argument named", () => {
  const refused = (exchangeOnline: unknown, message: string) =>
    assert.throws(() => new TenantConnectorPair("p", pair(exchangeOnline)), {
      message: `Invalid arguments for TenantConnectorPair "p":\n${message}`,
    });

  it("an endpoint that is not an http(s) URL", () => {
    refused(
      { endpoint: 123, token: "t" },
      "✖ Invalid value for exchangeOnline.endpoint: 123. Give an http(s) URL such as https://outlook.office365.com, or leave it out for the cloud's own\n  → at exchangeOnline.endpoint",
    );
    refused(
      { endpoint: "not a url", token: "t" },
      '✖ Invalid value for exchangeOnline.endpoint: "not a url". Give an http(s) URL such as https://outlook.office365.com, or leave it out for the cloud\'s own\n  → at exchangeOnline.endpoint',
    );
    refused(
      { endpoint: "ftp://outlook.office365.com", token: "t" },
      '✖ Invalid value for exchangeOnline.endpoint: "ftp://outlook.office365.com". Give an http(s) URL such as https://outlook.office365.com, or leave it out for the cloud\'s own\n  → at exchangeOnline.endpoint',
    );
  });

  it("no credentials at all", () => {
    refused(
      { endpoint: "https://outlook.office365.com" },
      "✖ exchangeOnline needs either 'token' or 'app' (clientId, certificatePem, privateKeyPem) to authenticate\n  → at exchangeOnline",
    );
  });

  it("maxRetries that is not a non-negative integer", () => {
    for (const [value, shown] of [
      ["lots", '"lots"'],
      [-1, "-1"],
      [1.5, "1.5"],
    ] as const)
      refused(
        { token: "t", maxRetries: value },
        `✖ Invalid value for exchangeOnline.maxRetries: ${shown}. Give a whole number of retries from 0 to 20, e.g. 6\n  → at exchangeOnline.maxRetries`,
      );
  });

  it("a certificate given as the app's key, even when the token-like fields are secrets", () => {
    refused(
      { app: { clientId: "00000000-0000-0000-0000-000000000001", certificatePem: pulumi.secret(contosoPem), privateKeyPem: contosoPem } },
      "✖ exchangeOnline.app.privateKeyPem is not a private key (a certificate given as the key?). Give the app's private key (-----BEGIN PRIVATE KEY-----) here and its certificate in certificatePem\n  → at exchangeOnline.app.privateKeyPem",
    );
  });

  it("accepts a secret token and a well-formed app", async () => {
    new TenantConnectorPair("ok", pair({ endpoint: "http://127.0.0.1:9", token: pulumi.secret("t"), maxRetries: 0 }));
    new TenantConnectorPair(
      "app",
      pair({ app: { clientId: "00000000-0000-0000-0000-000000000001", certificatePem: contosoPem, privateKeyPem: makePrivateKeyPem() } }),
    );
    await settle();
    assert.equal(connectors().length, 4);
  });
});

describe("a tenant declared twice is refused at preview (tenant-declared-once)", () => {
  it("contoso.onmicrosoft.com and CONTOSO.onmicrosoft.com sharing one certificate", () => {
    const entry = (name: string) => ({
      tenant: { name, acceptedDomains: ["relay.contoso.com"] },
      certificate: { pem: contosoPem },
      certificateName: "relay.contoso.com",
    });
    assert.throws(
      () =>
        new HybridOrganization("org", {
          sourceTransportServers: ["EX01"],
          exchangeOnline: { token: "t" },
          tenants: [entry("contoso.onmicrosoft.com"), entry("CONTOSO.onmicrosoft.com")],
        }),
      (error: Error) =>
        error.message.startsWith(
          'HybridOrganization "org" would create a configuration that breaks tenant attribution; nothing was created:\n',
        ) &&
        error.message.includes(
          '- [tenant-declared-once] 2 Send Connectors are named "Outbound to contoso.onmicrosoft.com" in one on-premises organization: tenant "contoso.onmicrosoft.com" is declared more than once (tenant names compare case-insensitively). Exchange refuses the second one ("already exists").',
        ),
    );
    assert.deepEqual(connectors(), []);
  });
});

describe("derived names fit Exchange's 64 characters", () => {
  const vendorName = "s5hg3dcg14h8.smtp.signature-vendor.example";
  const relay = (service: string, extra: object = {}) =>
    new AddOnServiceRelay("sig", {
      tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", vendorName] },
      service,
      certificate: { pem: makeCertificatePem({ dnsNames: [vendorName], organization: "Signature Vendor" }) },
      certificateName: vendorName,
      exchangeOnline: { token: "t" },
      ...extra,
    });

  it("the vendor's per-customer certificate name is kept whole in TlsSenderCertificateName; the connector name is shortened", async () => {
    relay("Signature Vendor");
    await settle();
    const inbound = registered.find((r) => r.name === "sig-inbound")?.inputs ?? {};
    assert.equal(inbound.name, "Signature Vendor relay (s5hg3dcg14h8.smtp.signature-vend~2619b5)");
    assert.equal((inbound.name as string).length, 64);
    assert.equal(inbound.tlsSenderCertificateName, vendorName);
  });

  it("a service name that leaves no room names 'service' and the argument that sets the name", () => {
    const service = "Signature Vendor Enterprise Cloud Relay Service EU";
    assert.throws(() => relay(service), {
      message: `Invalid arguments for AddOnServiceRelay "sig":\n'service' "${service}" leaves 5 of Exchange's 64 characters for certificateName in the connector name "${service} relay (<certificateName>)". Give a shorter service, or set inboundConnector.name (at most 64 characters).`,
    });
  });

  it("inboundConnector.name sets the name", async () => {
    relay("Signature Vendor Enterprise Cloud Relay Service EU", { inboundConnector: { name: "Signature relay" } });
    await settle();
    assert.equal(registered.find((r) => r.name === "sig-inbound")?.inputs.name, "Signature relay");
  });
});
