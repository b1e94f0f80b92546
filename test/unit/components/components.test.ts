import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { HybridOrganization, TenantConnectorPair } from "../../../components";
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
const customTypes = () => registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/mailflow:")).map((r) => `${r.type} ${r.name}`);

describe("TenantConnectorPair", () => {
  it("creates one Send Connector and one OnPremises inbound connector, certificate-based", async () => {
    new TenantConnectorPair("contoso", contoso());
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(customTypes().sort(), [
      "pulumi-nodejs:dynamic/mailflow:InboundConnector contoso-inbound",
      "pulumi-nodejs:dynamic/mailflow:SendConnector contoso-send",
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

  it("refuses a certificate name that makes the inbound connector's name longer than Exchange allows", () => {
    const long = `relay.${"a".repeat(40)}.contoso.com`;
    const pem = makeCertificatePem({ dnsNames: [long] });
    assert.throws(
      () =>
        new TenantConnectorPair("long", {
          ...contoso(),
          tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: [long] },
          certificate: { pem },
          certificateName: long,
        }),
      {
        message: `Invalid arguments for TenantConnectorPair "long":\n'certificateName' "${long}" makes the connector name "Inbound from on-premises (<certificateName>)" 85 characters long; Exchange connector names are at most 64, so certificateName can have at most 37 characters here.`,
      },
    );
    assert.deepEqual(customTypes(), []);
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
      "pulumi-nodejs:dynamic/mailflow:InboundConnector org-contoso-inbound",
      "pulumi-nodejs:dynamic/mailflow:InboundConnector org-fabrikam-inbound",
      "pulumi-nodejs:dynamic/mailflow:SendConnector org-contoso-send",
      "pulumi-nodejs:dynamic/mailflow:SendConnector org-fabrikam-send",
    ]);
  });
});
