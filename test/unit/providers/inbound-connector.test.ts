import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExchangeOnlineClient, StaticTokenProvider } from "../../../components/exo/client";
import { create, type InboundConnectorInputs, preflight, remove } from "../../../components/providers/inbound-connector-impl";
import { type LocalExchangeOnline, startLocalExchangeOnline } from "../../../local-exchange-online/server";

/** A pair's inbound connector for contoso, with what a test changes. */
function connectorInputs(connection: object, changes: Partial<InboundConnectorInputs> = {}): InboundConnectorInputs {
  return {
    tenant: "contoso.onmicrosoft.com",
    acceptedDomains: ["contoso.com", "relay.contoso.com"],
    name: "Inbound from on-premises (relay.contoso.com)",
    connectorType: "OnPremises",
    tlsSenderCertificateName: "relay.contoso.com",
    senderIPAddresses: [],
    senderDomains: ["*"],
    requireTls: true,
    restrictDomainsToCertificate: false,
    restrictDomainsToIPAddresses: false,
    treatMessagesAsInternal: false,
    cloudServicesMailEnabled: true,
    owner: "unit/test",
    connection,
    ...changes,
  };
}

/** The provider's own check against the live tenant, before Exchange Online is asked to create anything. */
describe("InboundConnector provider: live accepted-domain check", () => {
  let server: LocalExchangeOnline;
  before(async () => {
    server = await startLocalExchangeOnline({
      tenants: { "contoso.onmicrosoft.com": { acceptedDomains: ["Contoso.com", "Relay.Contoso.com"] } },
      log: () => {},
    });
  });
  after(() => server.close());

  const inputs = (changes: Partial<InboundConnectorInputs>): InboundConnectorInputs =>
    connectorInputs(
      { endpoint: server.url, token: "t" },
      {
        // Declared accepted domains the live tenant does not have: the live list must win.
        acceptedDomains: ["contoso.com", "relay.contoso.com", "mail.contoso.com"],
        name: "Inbound from on-premises",
        ...changes,
      },
    );
  const connectors = () => server.state().tenants["contoso.onmicrosoft.com"]?.inboundConnectors ?? [];

  it("refuses a certificate name the live tenant has not accepted, creating nothing", async () => {
    await assert.rejects(create(inputs({ name: "Inbound via mail", tlsSenderCertificateName: "Mail.Contoso.com." })), {
      message:
        `'TlsSenderCertificateName' "mail.contoso.com" is not an accepted domain of tenant "contoso.onmicrosoft.com" (accepted: contoso.com, relay.contoso.com).` +
        ` Its parent "contoso.com" is accepted, but Exchange Online attributes mail only by an exactly accepted certificate domain.` +
        ` Fix: Add it with New-AcceptedDomain -DomainName mail.contoso.com (verified in tenant "contoso.onmicrosoft.com") or use a certificate for an accepted domain and set TlsSenderCertificateName (Set-InboundConnector) to it.` +
        "\n(checked against the live tenant's Get-AcceptedDomain; nothing was created or changed)",
    });
    assert.deepEqual(connectors(), []);
  });

  it("creates the connector when the name is an accepted domain of the live tenant (case and trailing dot aside)", async () => {
    const result = await create(inputs({ tlsSenderCertificateName: "Relay.Contoso.com." }));
    assert.deepEqual(
      connectors().map((c) => [c.Name, c.TlsSenderCertificateName]),
      [["Inbound from on-premises", "Relay.Contoso.com."]],
    );
    assert.equal(result.id, connectors()[0]?.Guid);
  });

  it("checks an add-on relay's per-customer name against the live tenant too", async () => {
    const relay = inputs({
      name: "Vendor Signatures relay",
      tlsSenderCertificateName: "s5hg3dcg.smtp.vendor.example",
      acceptedDomains: ["contoso.com", "s5hg3dcg.smtp.vendor.example"],
      restrictDomainsToCertificate: true,
      cloudServicesMailEnabled: false,
      addOnService: "Vendor Signatures",
    });
    await assert.rejects(
      create(relay),
      (error: Error) =>
        error.message.startsWith(
          `'TlsSenderCertificateName' "s5hg3dcg.smtp.vendor.example" is not an accepted domain of tenant "contoso.onmicrosoft.com" (accepted: contoso.com, relay.contoso.com).`,
        ) && error.message.endsWith("(checked against the live tenant's Get-AcceptedDomain; nothing was created or changed)"),
    );
    assert.equal(
      connectors().some((c) => c.Name === "Vendor Signatures relay"),
      false,
    );
  });
});

/** What a connector pair runs before its Send Connector is created on-premises. */
describe("InboundConnector provider: preflight before the on-premises side is touched", () => {
  let server: LocalExchangeOnline;
  before(async () => {
    server = await startLocalExchangeOnline({
      tenants: { "contoso.onmicrosoft.com": { acceptedDomains: ["contoso.com", "relay.contoso.com"] } },
      expectedToken: "right-token",
      log: () => {},
    });
  });
  after(() => server.close());
  const inputs = (connection: object) => connectorInputs(connection);

  it("fails on a token the service refuses, without retrying and without the token in the message", async () => {
    await assert.rejects(preflight(inputs({ endpoint: server.url, token: "wrong-token" })), (error: Error) => {
      assert.equal(
        error.message,
        "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: 401 Unauthorized: The access token isn't valid for this server.",
      );
      return true;
    });
  });

  it("fails at once on an endpoint where nothing listens", async () => {
    const closed = await startLocalExchangeOnline({ log: () => {} });
    await closed.close();
    const started = Date.now();
    await assert.rejects(preflight(inputs({ endpoint: closed.url, token: "right-token" })), /ECONNREFUSED .*; not retried\)$/);
    assert.ok(Date.now() - started < 2000, "no backoff on a refused connection");
  });

  it("passes with the right token and an accepted certificate name, creating nothing", async () => {
    await preflight(inputs({ endpoint: server.url, token: "right-token" }));
    assert.deepEqual(server.state().tenants["contoso.onmicrosoft.com"]?.inboundConnectors, []);
  });
});

/** Brownfield adoption (`mailflow-guard plan`): an existing connector nobody manages is taken over only when asked. */
describe("InboundConnector provider: adopting an existing connector by name", () => {
  let server: LocalExchangeOnline;
  const tenant = "adatum.onmicrosoft.com";
  before(async () => {
    server = await startLocalExchangeOnline({
      tenants: { [tenant]: { acceptedDomains: ["adatum.com", "relay.adatum.com"] } },
      log: () => {},
    });
    const client = new ExchangeOnlineClient({ endpoint: server.url, tenant, auth: new StaticTokenProvider("t") });
    await client.newInboundConnector({
      Name: "From on-premises (IP)",
      ConnectorType: "OnPremises",
      SenderDomains: ["*"],
      SenderIPAddresses: ["203.0.113.25"],
    });
  });
  after(() => server.close());

  const inputs = (changes: Partial<InboundConnectorInputs>): InboundConnectorInputs =>
    connectorInputs(
      { endpoint: server.url, token: "t" },
      {
        tenant,
        acceptedDomains: ["adatum.com", "relay.adatum.com"],
        name: "From on-premises (IP)",
        tlsSenderCertificateName: "relay.adatum.com",
        owner: "mailflow-guard/migration",
        ...changes,
      },
    );
  const connectors = () => server.state().tenants[tenant]?.inboundConnectors ?? [];

  it("refuses an unmanaged connector of the same name without adopt, changing nothing", async () => {
    await assert.rejects(create(inputs({})), {
      message:
        'Inbound connector "From on-premises (IP)" already exists in tenant "adatum.onmicrosoft.com" and is not managed by mailflow-guard/migration. Choose another name, adopt it (mailflow-guard:tenants[].adopt.inboundConnector), or remove the existing connector (Remove-InboundConnector "From on-premises (IP)") if it is obsolete.',
    });
    assert.deepEqual(
      connectors().map((c) => [c.TlsSenderCertificateName, c.SenderIPAddresses, c.Comment]),
      [[null, ["203.0.113.25"], null]],
    );
  });

  it("with adopt, updates it in place and marks it as the stack's: still one connector", async () => {
    const result = await create(inputs({ adopt: true }));
    assert.deepEqual(
      connectors().map((c) => [c.Name, c.TlsSenderCertificateName, c.SenderIPAddresses, c.RequireTls, c.Comment]),
      [
        [
          "From on-premises (IP)",
          "relay.adatum.com",
          [],
          true,
          "Managed by mailflow-guard for mailflow-guard/migration. Changes made here are reverted by the next pulumi up.",
        ],
      ],
    );
    assert.equal(result.id, connectors()[0]?.Guid);
  });
});

/** Deletes are idempotent as creates are: "already gone" after an attempt Exchange applied is done. */
describe("InboundConnector provider: delete after an uncertain attempt", () => {
  let server: LocalExchangeOnline;
  before(async () => {
    server = await startLocalExchangeOnline({
      tenants: { "contoso.onmicrosoft.com": { acceptedDomains: ["contoso.com", "relay.contoso.com"] } },
      log: () => {},
    });
  });
  after(() => server.close());

  it("a Remove-InboundConnector applied but answered 500, whose retry finds it gone, is a finished delete", async () => {
    const inputs = connectorInputs({ endpoint: server.url, token: "t", maxRetries: 2, retryBudgetMs: 10_000 });
    const created = await create(inputs);
    server.injectFaults({ status: 500, afterCommit: true, cmdlet: "Remove-InboundConnector" });
    await remove(created.id, created.outs);
    assert.deepEqual(server.state().tenants["contoso.onmicrosoft.com"]?.inboundConnectors, []);
    const removes = server.recentRequests().filter((r) => r.cmdletName === "Remove-InboundConnector");
    assert.deepEqual(
      removes.map((r) => r.status),
      [500, 404],
    );
  });
});
