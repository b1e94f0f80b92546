import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { AddOnServiceRelay, HybridOrganization, TenantConnectorPair } from "../../../components";
import { parseCertificatePem } from "../../../policy/src/engine/x509";
import { makeCertificatePem, makePrivateKeyPem } from "../../support/certs";

/** Records what the components register, without a Pulumi engine. */
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

const contosoPem = makeCertificatePem({ dnsNames: ["relay.contoso.com"], organization: "Contoso" });
const exchangeOnline = { endpoint: "http://127.0.0.1:9", token: pulumi.secret("t") };
const contoso = () => ({
  tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "relay.contoso.com"] },
  certificate: { pem: contosoPem },
  certificateName: "relay.contoso.com",
  sendConnector: { sourceTransportServers: ["EX01"] },
  exchangeOnline,
});
const CUSTOM = new Set(["mailflow:exchange:InboundConnector", "mailflow:exchange:SendConnector"]);
const customTypes = () => registered.filter((r) => CUSTOM.has(r.type)).map((r) => `${r.type} ${r.name}`);

describe("TenantConnectorPair", () => {
  it("creates one Send Connector and one OnPremises inbound connector, certificate-based", async () => {
    new TenantConnectorPair("contoso", contoso());
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(customTypes().sort(), [
      "mailflow:exchange:InboundConnector contoso-inbound",
      "mailflow:exchange:SendConnector contoso-send",
    ]);
    const send = registered.find((r) => r.name === "contoso-send")?.inputs ?? {};
    const facts = parseCertificatePem(contosoPem, "pem");
    assert.equal(send.tlsCertificateName, "<I>CN=Test Issuing CA, O=Test CA, C=US<S>CN=relay.contoso.com, O=Contoso, C=US");
    assert.deepEqual(send.smartHosts, ["contoso.mail.protection.outlook.com"]);
    assert.deepEqual(send.addressSpaces, ["contoso.mail.onmicrosoft.com"]);
    assert.equal(send.tlsAuthLevel, "DomainValidation");
    assert.equal(send.tlsDomain, "mail.protection.outlook.com");
    assert.equal(send.dnsRoutingEnabled, false);
    assert.equal(send.certificateThumbprint, facts.thumbprint);
    const inbound = registered.find((r) => r.name === "contoso-inbound")?.inputs ?? {};
    assert.equal(inbound.connectorType, "OnPremises");
    assert.equal(inbound.tlsSenderCertificateName, "relay.contoso.com");
    assert.equal(inbound.requireTls, true);
    assert.equal(inbound.owner, "mailflow-guard/unit");
  });

  it("lists every bad argument under the component's name", () => {
    assert.throws(
      () =>
        new TenantConnectorPair("bad", {
          ...contoso(),
          tenant: { name: "contoso.com", acceptedDomains: [] },
          certificateName: undefined as unknown as string,
        }),
      {
        message:
          'Invalid arguments for TenantConnectorPair "bad":\n' +
          "✖ certificateName must be a plain string such as relay.contoso.com\n  → at certificateName\n" +
          "✖ tenant.name must be the tenant's initial domain, such as contoso.onmicrosoft.com\n  → at tenant.name\n" +
          "✖ tenant.acceptedDomains must list at least one accepted domain\n  → at tenant.acceptedDomains",
        // Pulumi's host prints a hidden-stack ResourceError as its message alone (no trace, no component dump).
        hideStack: true,
      },
    );
    assert.deepEqual(customTypes(), []);
  });

  it("refuses at preview the values Exchange would refuse at up, naming the argument", () => {
    assert.throws(
      () =>
        new TenantConnectorPair("bad", {
          ...contoso(),
          sendConnector: { sourceTransportServers: ["EX01", "EX02 EX03"], name: "Outbound\nto contoso", fqdn: "relay" },
        }),
      {
        message:
          'Invalid arguments for TenantConnectorPair "bad":\n' +
          "✖ 'sendConnector.sourceTransportServers[1]' \"EX02 EX03\" is not a server name. Use letters, digits and hyphens in dot-separated labels, such as EX01 or ex01.contoso.com.\n  → at sendConnector.sourceTransportServers\n" +
          "✖ 'sendConnector.fqdn' \"relay\" is not a fully qualified host name. Use letters, digits and hyphens in dot-separated labels, such as relay.contoso.com.\n  → at sendConnector.fqdn\n" +
          "✖ 'sendConnector.name' \"Outbound\\nto contoso\" contains a line break; Exchange connector names are one line of text.\n  → at sendConnector.name",
        hideStack: true,
      },
    );
    assert.deepEqual(customTypes(), []);
  });

  it("shortens a certificate name that would make the inbound connector's name longer than Exchange allows", async () => {
    const long = `relay.${"a".repeat(40)}.contoso.com`;
    const pem = makeCertificatePem({ dnsNames: [long] });
    new TenantConnectorPair("long", {
      ...contoso(),
      tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: [long] },
      certificate: { pem },
      certificateName: long,
    });
    await new Promise((resolve) => setImmediate(resolve));
    const inbound = registered.find((r) => r.name === "long-inbound")?.inputs ?? {};
    assert.equal(inbound.name, "Inbound from on-premises (relay.aaaaaaaaaaaaaaaaaaaaaaaa~09805f)");
    assert.equal((inbound.name as string).length, 64);
    assert.equal(inbound.tlsSenderCertificateName, long);
  });

  it("refuses a PEM that holds a private key", () => {
    assert.throws(() => new TenantConnectorPair("key", { ...contoso(), certificate: { pem: `${contosoPem}${makePrivateKeyPem()}` } }), {
      message:
        'Invalid arguments for TenantConnectorPair "key":\n\'certificate.pem\' "<PEM with a private key>" contains a private key. Pass only the public certificate; the private key stays on the Exchange server.',
    });
  });

  it("stops before creating anything when the certificate name is not an accepted domain", () => {
    assert.throws(
      () =>
        new TenantConnectorPair("contoso", { ...contoso(), tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com"] } }),
      (error: Error) =>
        error.message.startsWith(
          'TenantConnectorPair "contoso" would create a configuration that breaks tenant attribution; nothing was created:\n',
        ) &&
        error.message.includes(
          `'TlsSenderCertificateName' "relay.contoso.com" is not an accepted domain of tenant "contoso.onmicrosoft.com"`,
        ) &&
        // Issue 18: the preview showed the pack's "Policies: ✅" beside this refusal.
        error.message.endsWith(
          "\nThe component checked these connectors with the policy pack's rules before registering them, so a policy pack in this preview did not see them: its ✅ does not cover them.",
        ),
    );
    assert.deepEqual(customTypes(), []);
  });
});

describe("HybridOrganization", () => {
  it("refuses, before creating anything, two tenants sharing one certificate", () => {
    const shared = makeCertificatePem({ dnsNames: ["relay.contoso.com", "relay.fabrikam.com"] });
    const thumbprint = parseCertificatePem(shared, "pem").thumbprint;
    assert.throws(
      () =>
        new HybridOrganization("org", {
          sourceTransportServers: ["EX01"],
          exchangeOnline,
          tenants: [
            {
              tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["relay.contoso.com"] },
              certificate: { pem: shared },
              certificateName: "relay.contoso.com",
            },
            {
              tenant: { name: "fabrikam.onmicrosoft.com", acceptedDomains: ["relay.fabrikam.com"] },
              certificate: { pem: shared },
              certificateName: "relay.fabrikam.com",
            },
          ],
        }),
      (error: Error) =>
        error.message.includes(
          `- [certificate-not-shared-across-tenants] Certificate ${thumbprint} is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com".`,
        ),
    );
    assert.deepEqual(customTypes(), []);
  });

  it("creates a pair per tenant when every tenant has its own certificate", async () => {
    new HybridOrganization("org", {
      sourceTransportServers: ["EX01"],
      exchangeOnline,
      tenants: [
        {
          tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["relay.contoso.com"] },
          certificate: { pem: contosoPem },
          certificateName: "relay.contoso.com",
        },
        {
          tenant: { name: "fabrikam.onmicrosoft.com", acceptedDomains: ["relay.fabrikam.com"] },
          certificate: { pem: makeCertificatePem({ dnsNames: ["relay.fabrikam.com"] }) },
          certificateName: "relay.fabrikam.com",
        },
      ],
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(customTypes().sort(), [
      "mailflow:exchange:InboundConnector org-contoso-inbound",
      "mailflow:exchange:InboundConnector org-fabrikam-inbound",
      "mailflow:exchange:SendConnector org-contoso-send",
      "mailflow:exchange:SendConnector org-fabrikam-send",
    ]);
  });
});

describe("cloud: the Microsoft 365 cloud of the tenant (Connect-ExchangeOnline -ExchangeEnvironmentName)", () => {
  const gov = () => ({
    ...contoso(),
    tenant: { name: "contoso.onmicrosoft.us", acceptedDomains: ["contoso.com", "relay.contoso.com"] },
    exchangeOnline: { token: pulumi.secret("t") },
  });

  it("builds every Microsoft host of a GCC High pair from the cloud table", async () => {
    new TenantConnectorPair("gov", { ...gov(), cloud: "O365USGovGCCHigh" });
    await new Promise((resolve) => setImmediate(resolve));
    const send = registered.find((r) => r.name === "gov-send")?.inputs ?? {};
    assert.deepEqual(send.smartHosts, ["contoso.mail.protection.office365.us"]);
    assert.deepEqual(send.addressSpaces, ["contoso.mail.onmicrosoft.us"]);
    assert.equal(send.tlsDomain, "mail.protection.office365.us");
    const inbound = registered.find((r) => r.name === "gov-inbound")?.inputs ?? {};
    const connection = inbound.connection as { endpoint?: string; value?: { endpoint?: string } };
    assert.equal(connection.value?.endpoint ?? connection.endpoint, "https://outlook.office365.us");
  });

  it("takes DoD's admin endpoint and the user's own endpoint over the table's", async () => {
    new TenantConnectorPair("dod", { ...gov(), cloud: "O365USGovDoD" });
    new TenantConnectorPair("own", { ...gov(), cloud: "O365USGovDoD", exchangeOnline: { endpoint: "http://127.0.0.1:9", token: "t" } });
    await new Promise((resolve) => setImmediate(resolve));
    const endpoint = (name: string) => {
      const connection = registered.find((r) => r.name === name)?.inputs.connection as { endpoint?: string; value?: { endpoint?: string } };
      return connection.value?.endpoint ?? connection.endpoint;
    };
    assert.equal(endpoint("dod-inbound"), "https://outlook-dod.office365.us");
    assert.equal(endpoint("own-inbound"), "http://127.0.0.1:9");
  });

  it("refuses a tenant whose suffix contradicts the cloud, naming field, value and fix", () => {
    assert.throws(() => new TenantConnectorPair("gov", gov()), {
      message:
        'Invalid arguments for TenantConnectorPair "gov":\n' +
        `'tenant.name' "contoso.onmicrosoft.us" is the initial domain of a tenant in O365USGovGCCHigh or O365USGovDoD, but 'cloud' is "O365Default" (tenants ending in .onmicrosoft.com). Set cloud: "O365USGovGCCHigh" (or "O365USGovDoD"), or give the tenant's initial domain in O365Default.`,
    });
    assert.throws(() => new TenantConnectorPair("cn", { ...contoso(), cloud: "O365China" }), {
      message:
        'Invalid arguments for TenantConnectorPair "cn":\n' +
        `'tenant.name' "contoso.onmicrosoft.com" is the initial domain of a tenant in O365Default, but 'cloud' is "O365China" (tenants ending in .partner.onmschina.cn). Set cloud: "O365Default", or give the tenant's initial domain in O365China.`,
    });
    assert.deepEqual(customTypes(), []);
  });

  it("refuses an unknown cloud name, listing the allowed ones", () => {
    assert.throws(() => new TenantConnectorPair("de", { ...contoso(), cloud: "O365Germany" as "O365Default" }), {
      message:
        'Invalid arguments for TenantConnectorPair "de":\n' +
        '✖ Invalid value for cloud: "O365Germany". Allowed values are: O365Default, O365USGovGCCHigh, O365USGovDoD, O365China.\n  → at cloud',
    });
  });

  it("gives HybridOrganization's and AddOnServiceRelay's tenants the same cloud", async () => {
    new HybridOrganization("org", {
      cloud: "O365USGovGCCHigh",
      sourceTransportServers: ["EX01"],
      tenants: [{ tenant: gov().tenant, certificate: { pem: contosoPem }, certificateName: "relay.contoso.com" }],
      exchangeOnline: { token: "t" },
    });
    await new Promise((resolve) => setImmediate(resolve));
    const send = registered.find((r) => r.type.endsWith(":SendConnector"))?.inputs ?? {};
    assert.deepEqual(send.smartHosts, ["contoso.mail.protection.office365.us"]);
    assert.throws(
      () =>
        new AddOnServiceRelay("addon", {
          tenant: gov().tenant,
          service: "Vendor",
          certificate: { pem: contosoPem },
          certificateName: "relay.contoso.com",
          exchangeOnline: { token: "t" },
        }),
      { message: /'tenant\.name' "contoso\.onmicrosoft\.us" is the initial domain of a tenant in O365USGovGCCHigh or O365USGovDoD/ },
    );
  });
});

describe("AddOnServiceRelay", () => {
  it("creates the inbound connector as Microsoft's add-on scenario does: RestrictDomainsToCertificate and CloudServicesMailEnabled $true", async () => {
    new AddOnServiceRelay("signatures", {
      tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "relay.contoso.com"] },
      service: "Vendor",
      certificate: { pem: contosoPem },
      certificateName: "relay.contoso.com",
      exchangeOnline,
    });
    await new Promise((resolve) => setImmediate(resolve));
    const inbound = registered.find((r) => r.name === "signatures-inbound")?.inputs ?? {};
    assert.equal(inbound.restrictDomainsToCertificate, true);
    assert.equal(inbound.cloudServicesMailEnabled, true);
    assert.equal(inbound.treatMessagesAsInternal, false);
  });
});

// The components' answers to a new user's mistakes (issue 18), each at preview, nothing created.
const settle = () => new Promise((resolve) => setImmediate(resolve));
const connectors = () => registered.filter((r) => /-(inbound|send)$/.test(r.name));

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
