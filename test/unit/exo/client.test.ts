import assert from "node:assert/strict";
import { constants, createHash, verify, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import type { INetworkModule, NetworkResponse } from "@azure/msal-node";
import {
  ExchangeOnlineClient,
  type ExchangeOnlineClientOptions,
  ExchangeOnlineError,
  isObjectNotFoundError,
  MsalCertificateTokenProvider,
  type NewInboundConnectorParameters,
  parseRetryAfter,
  StaticTokenProvider,
  type TokenProvider,
} from "../../../components/exo/client";
import { type LocalExchangeOnline, startLocalExchangeOnline } from "../../../local-exchange-online/server";
import { appCertificate } from "../../support/app-certificate";
import { fakeEntraId } from "../../support/fake-entra";

// Runs the client against Local Exchange Online, the local stand-in for Exchange Online
// (not Microsoft's service), on 127.0.0.1.

const TENANT = "contoso.onmicrosoft.com";
const ANCHOR = `UPN:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${TENANT}`;

const connector: NewInboundConnectorParameters = {
  Name: "Contoso on-premises",
  ConnectorType: "OnPremises",
  SenderDomains: ["*"],
  TlsSenderCertificateName: "contoso.com",
  RequireTls: true,
  RestrictDomainsToCertificate: true,
};

/** Virtual time: sleep() records the wait and moves the clock; nothing really waits. */
function virtualTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

let server: LocalExchangeOnline;
before(async () => {
  server = await startLocalExchangeOnline({
    tenants: { [TENANT]: { acceptedDomains: ["contoso.com", TENANT] } },
    pageSize: 2,
    log: () => {},
  });
});
after(() => server.close());
beforeEach(() => server.reset());

function client(options: Partial<ExchangeOnlineClientOptions> = {}) {
  const time = virtualTime();
  const exo = new ExchangeOnlineClient({
    endpoint: server.url,
    tenant: TENANT,
    auth: new StaticTokenProvider("local-token"),
    maxRetries: 3,
    retryBudgetMs: 60_000,
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
    ...options,
  });
  return { exo, time };
}

async function rejection(promise: Promise<unknown>): Promise<ExchangeOnlineError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ExchangeOnlineError, `expected ExchangeOnlineError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

describe("ExchangeOnlineClient: CRUD against the local stand-in", () => {
  test("accepted domains, create, read, update, list, delete", async () => {
    const { exo } = client();
    const domains = await exo.getAcceptedDomains();
    assert.deepEqual(
      domains.map((d) => d.DomainName),
      ["contoso.com", TENANT],
    );

    assert.equal(await exo.getInboundConnector("Contoso on-premises"), null);
    const created = await exo.newInboundConnector(connector);
    assert.equal(created.Name, "Contoso on-premises");
    assert.deepEqual(created.SenderDomains, ["smtp:*;1"]);
    assert.deepEqual(await exo.getInboundConnector("contoso ON-PREMISES"), created);

    await exo.setInboundConnector("Contoso on-premises", { Comment: "managed", SenderIPAddresses: ["203.0.113.0/24"] });
    const updated = await exo.getInboundConnector("Contoso on-premises");
    assert.equal(updated?.Comment, "managed");
    assert.deepEqual(updated?.SenderIPAddresses, ["203.0.113.0/24"]);
    assert.equal(updated?.TlsSenderCertificateName, "contoso.com");

    await exo.newInboundConnector({ ...connector, Name: "Second" });
    assert.deepEqual(
      (await exo.getInboundConnectors()).map((c) => c.Name),
      ["Contoso on-premises", "Second"],
    );

    await exo.removeInboundConnector("Second");
    assert.equal(await exo.getInboundConnector("Second"), null);
    const missing = await rejection(exo.removeInboundConnector("Second"));
    assert.equal(
      missing.message,
      "Remove-InboundConnector failed for tenant contoso.onmicrosoft.com: 404 NotFound: The operation couldn't be performed because object 'Second' couldn't be found on 'contoso.onmicrosoft.com'.",
    );
    assert.equal(isObjectNotFoundError(missing), true);
  });

  test("follows @odata.nextLink pages", async () => {
    const { exo } = client();
    for (const n of [1, 2, 3, 4, 5]) await exo.newInboundConnector({ ...connector, Name: `c${n}` });
    const before = server.requests;
    const all = await exo.getInboundConnectors();
    assert.deepEqual(
      all.map((c) => c.Name),
      ["c1", "c2", "c3", "c4", "c5"],
    );
    assert.equal(server.requests - before, 3);
  });

  test("sends the bearer token, anchor mailbox, cmdlet name and JSON content type", async () => {
    const { exo } = client();
    await exo.getAcceptedDomains();
    const last = server.recentRequests().at(-1);
    assert.deepEqual(
      last && {
        cmdletName: last.cmdletName,
        headerCmdletName: last.headerCmdletName,
        anchorMailbox: last.anchorMailbox,
        contentType: last.contentType,
        authorized: last.authorized,
      },
      {
        cmdletName: "Get-AcceptedDomain",
        headerCmdletName: "Get-AcceptedDomain",
        anchorMailbox: ANCHOR,
        contentType: "application/json",
        authorized: true,
      },
    );
  });

  test("a wrong token is a 401 that is not retried and does not leak the token", async () => {
    const strict = await startLocalExchangeOnline({
      tenants: { [TENANT]: { acceptedDomains: ["contoso.com"] } },
      expectedToken: "the-right-token",
      log: () => {},
    });
    try {
      const { exo } = client({ endpoint: strict.url, auth: new StaticTokenProvider("a-wrong-secret-token") });
      const err = await rejection(exo.getAcceptedDomains());
      assert.equal(
        err.message,
        "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: 401 Unauthorized: The access token isn't valid for this server.",
      );
      assert.equal(strict.requests, 1);
      assert.ok(!JSON.stringify({ ...err, message: err.message, stack: err.stack }).includes("a-wrong-secret-token"));

      const { exo: good } = client({ endpoint: strict.url, auth: new StaticTokenProvider("the-right-token") });
      assert.equal((await good.getAcceptedDomains()).length, 1);
    } finally {
      await strict.close();
    }
  });

  test("validation errors carry the server's message and are not retried", async () => {
    const { exo } = client();
    const before = server.requests;
    const err = await rejection(exo.newInboundConnector({ ...connector, Name: "Relay", SenderIPAddresses: ["203.0.112.0/23"] }));
    assert.equal(
      err.message,
      'New-InboundConnector failed for tenant contoso.onmicrosoft.com: 400 BadRequest: The SenderIPAddresses value "203.0.112.0/23" isn\'t valid: the prefix /23 is shorter than /24. Specify a single IPv4 address or an IPv4 CIDR range with a prefix from /24 to /32.',
    );
    assert.deepEqual(
      {
        status: err.status,
        code: err.code,
        cmdletName: err.cmdletName,
        tenant: err.tenant,
        attempts: err.attempts,
        possiblyApplied: err.possiblyApplied,
      },
      { status: 400, code: "BadRequest", cmdletName: "New-InboundConnector", tenant: TENANT, attempts: 1, possiblyApplied: false },
    );
    assert.equal(server.requests - before, 1);
  });

  test("an unknown tenant is an error, not a missing connector", async () => {
    const { exo } = client({ tenant: "nobody.onmicrosoft.com" });
    const err = await rejection(exo.getInboundConnector("x"));
    assert.equal(
      err.message,
      'Get-InboundConnector failed for tenant nobody.onmicrosoft.com: 404 TenantNotFound: The tenant "nobody.onmicrosoft.com" wasn\'t found on this server.',
    );
    assert.equal(isObjectNotFoundError(err), false);
  });
});

describe("ExchangeOnlineClient: retries", () => {
  test("429 waits for Retry-After, then succeeds", async () => {
    const { exo, time } = client();
    server.injectFaults({ status: 429, retryAfter: 3 }, { status: 429, retryAfter: 1 });
    const domains = await exo.getAcceptedDomains();
    assert.equal(domains.length, 2);
    assert.deepEqual(time.sleeps, [3000, 1000]);
  });

  test("500 is retried with exponential backoff", async () => {
    const { exo, time } = client();
    server.injectFaults({ status: 500 }, { status: 502 }, { status: 503 });
    const domains = await exo.getAcceptedDomains();
    assert.equal(domains.length, 2);
    // random() = 0.5: half the ceiling plus a quarter — 500 ms, 1 s, 2 s ceilings.
    assert.deepEqual(time.sleeps, [375, 750, 1500]);
  });

  test("maxRetries bounds the attempts", async () => {
    const { exo } = client({ maxRetries: 1 });
    server.injectFaults({ status: 500 }, { status: 500 });
    const before = server.requests;
    const err = await rejection(exo.getAcceptedDomains());
    assert.equal(
      err.message,
      "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: 500 InternalServerError: The server couldn't process the request (injected fault, 500 InternalServerError). (gave up after 2 attempts: maxRetries 1 reached)",
    );
    assert.equal(server.requests - before, 2);
  });

  test("an exhausted retry budget gives a readable error", async () => {
    const { exo, time } = client({ maxRetries: 10, retryBudgetMs: 1500 });
    server.injectFaults({ status: 429, retryAfter: 1 }, { status: 429, retryAfter: 1 }, { status: 429, retryAfter: 1 });
    const err = await rejection(exo.getInboundConnectors());
    assert.equal(
      err.message,
      "Get-InboundConnector failed for tenant contoso.onmicrosoft.com: 429 TooManyRequests: The request was throttled (injected fault). Retry after 1 seconds. (gave up after 2 attempts: retry budget of 1500 ms exhausted (Retry-After: 1 s))",
    );
    assert.deepEqual(time.sleeps, [1000]);
    assert.deepEqual({ status: err.status, code: err.code, attempts: err.attempts }, { status: 429, code: "TooManyRequests", attempts: 2 });
  });

  test("a refused connection is not retried: one attempt, the reason in one line", async () => {
    const closed = await startLocalExchangeOnline({ log: () => {} });
    await closed.close();
    const { exo, time } = client({ endpoint: closed.url, maxRetries: 2 });
    const err = await rejection(exo.getAcceptedDomains());
    assert.equal(
      err.message,
      `Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: NetworkError: fetch failed: connect ECONNREFUSED 127.0.0.1:${closed.port} (connection refused: nothing listens at that address and port; check the endpoint; not retried)`,
    );
    assert.deepEqual(
      { status: err.status, attempts: err.attempts, possiblyApplied: err.possiblyApplied },
      { status: undefined, attempts: 1, possiblyApplied: false },
    );
    assert.deepEqual(time.sleeps, []);
  });

  test("a bad port and an unknown host are not retried either", async () => {
    const { exo: badPort, time } = client({ endpoint: "http://127.0.0.1:6000" });
    assert.equal(
      (await rejection(badPort.getAcceptedDomains())).message,
      "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: NetworkError: fetch failed: bad port (a port that fetch refuses to connect to; check the endpoint's port; not retried)",
    );
    const dns = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("getaddrinfo ENOTFOUND outlook.office365.example"), { code: "ENOTFOUND" }),
    });
    const { exo: unknownHost } = client({ endpoint: "https://outlook.office365.example", fetchImpl: async () => Promise.reject(dns) });
    assert.equal(
      (await rejection(unknownHost.getAcceptedDomains())).message,
      "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: NetworkError: fetch failed: getaddrinfo ENOTFOUND outlook.office365.example (the host name does not resolve; check the endpoint's host name; not retried)",
    );
    assert.deepEqual(time.sleeps, []);
  });

  test("a transient network error (connection reset) is retried and then reported", async () => {
    const reset = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
    });
    const { exo, time } = client({ maxRetries: 2, fetchImpl: async () => Promise.reject(reset) });
    const err = await rejection(exo.getAcceptedDomains());
    assert.equal(
      err.message,
      "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: NetworkError: fetch failed: read ECONNRESET (gave up after 3 attempts: maxRetries 2 reached)",
    );
    assert.deepEqual(time.sleeps, [375, 750]);
    assert.equal(err.possiblyApplied, true);
  });

  test("an interrupted create (applied, 500) retried gets 409; the connector can be adopted by name", async () => {
    const { exo } = client();
    server.injectFaults({ status: 500, afterCommit: true, cmdlet: "New-InboundConnector" });
    const err = await rejection(exo.newInboundConnector(connector));
    assert.equal(
      err.message,
      'New-InboundConnector failed for tenant contoso.onmicrosoft.com: 409 Conflict: The specified connector name "Contoso on-premises" already exists. (attempt 2; an earlier attempt failed with 500 InternalServerError and may have been applied)',
    );
    assert.deepEqual({ status: err.status, possiblyApplied: err.possiblyApplied }, { status: 409, possiblyApplied: true });
    const adopted = await exo.getInboundConnector(connector.Name);
    assert.equal(adopted?.Name, "Contoso on-premises");
    assert.equal(adopted?.TlsSenderCertificateName, "contoso.com");
    assert.equal(server.state().tenants[TENANT]?.inboundConnectors.length, 1);
  });

  test("without retries the interrupted create surfaces the 500", async () => {
    const { exo } = client({ maxRetries: 0 });
    server.injectFaults({ status: 500, afterCommit: true });
    const err = await rejection(exo.newInboundConnector(connector));
    assert.equal(
      err.message,
      "New-InboundConnector failed for tenant contoso.onmicrosoft.com: 500 InternalServerError: The command was applied, but the response was lost (injected fault, 500 InternalServerError). (gave up after 1 attempt: maxRetries 0 reached)",
    );
    assert.equal(err.possiblyApplied, true);
    assert.notEqual(await exo.getInboundConnector(connector.Name), null);
  });

  test("after only throttling, a conflict is not blamed on an earlier attempt", async () => {
    const { exo } = client();
    await exo.newInboundConnector(connector);
    server.injectFaults({ status: 429, retryAfter: 1 });
    const err = await rejection(exo.newInboundConnector(connector));
    assert.equal(
      err.message,
      'New-InboundConnector failed for tenant contoso.onmicrosoft.com: 409 Conflict: The specified connector name "Contoso on-premises" already exists.',
    );
    assert.equal(err.possiblyApplied, false);
  });

  test("parseRetryAfter reads seconds and HTTP dates", () => {
    const now = Date.parse("2026-03-01T10:00:00Z");
    assert.equal(parseRetryAfter("7", now), 7000);
    assert.equal(parseRetryAfter("Sun, 01 Mar 2026 10:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfter("Sun, 01 Mar 2026 09:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter("-1", now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  test("an HTTP-date Retry-After is honoured", async () => {
    const time = virtualTime();
    const retryAt = new Date(time.now() + 4000).toUTCString();
    let calls = 0;
    const fetchImpl: typeof fetch = async () => {
      calls++;
      return calls === 1
        ? new Response(JSON.stringify({ error: { code: "TooManyRequests", message: "slow down" } }), {
            status: 429,
            headers: { "Retry-After": retryAt },
          })
        : new Response(JSON.stringify({ value: [{ Name: "x" }] }), { status: 200 });
    };
    const exo = new ExchangeOnlineClient({
      endpoint: "https://outlook.office365.com",
      tenant: TENANT,
      auth: new StaticTokenProvider("t"),
      fetchImpl,
      sleep: time.sleep,
      now: time.now,
    });
    assert.deepEqual(await exo.invoke("Get-AcceptedDomain"), [{ Name: "x" }]);
    // HTTP dates have one-second resolution.
    assert.equal(time.sleeps.length, 1);
    assert.ok((time.sleeps[0] as number) > 3000 && (time.sleeps[0] as number) <= 4000, String(time.sleeps));
  });
});

describe("ExchangeOnlineClient: safety", () => {
  test("refuses plain http to anything but loopback", () => {
    assert.throws(
      () => new ExchangeOnlineClient({ endpoint: "http://outlook.office365.com", tenant: TENANT, auth: new StaticTokenProvider("t") }),
      {
        message:
          'ExchangeOnlineClient: endpoint "http://outlook.office365.com" must use https (plain http is allowed only for loopback hosts such as Local Exchange Online).',
      },
    );
  });

  test("does not follow @odata.nextLink to another origin", async () => {
    const fetchImpl: typeof fetch = async () =>
      new Response(JSON.stringify({ value: [], "@odata.nextLink": "https://collector.example/steal" }), { status: 200 });
    const exo = new ExchangeOnlineClient({ tenant: TENANT, auth: new StaticTokenProvider("t"), fetchImpl });
    const err = await rejection(exo.getInboundConnectors());
    assert.equal(
      err.message,
      "Get-InboundConnector failed for tenant contoso.onmicrosoft.com: InvalidNextLink: refusing to follow @odata.nextLink to another origin (https://collector.example)",
    );
  });

  test("a failing token provider is reported without retrying", async () => {
    let calls = 0;
    const auth: TokenProvider = {
      getToken: async () => {
        calls++;
        throw new Error("AADSTS700027: certificate not registered");
      },
    };
    const { exo } = client({ auth });
    const err = await rejection(exo.getAcceptedDomains());
    assert.equal(
      err.message,
      "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: TokenError: could not get an access token: AADSTS700027: certificate not registered",
    );
    assert.equal(calls, 1);
  });

  test("StaticTokenProvider refuses an empty token", () => {
    assert.throws(() => new StaticTokenProvider(""), { message: "StaticTokenProvider needs a non-empty token." });
  });
});

describe("MsalCertificateTokenProvider", () => {
  const TENANT_ID = "11111111-2222-3333-4444-555555555555";
  const CLIENT_ID = "66666666-7777-8888-9999-000000000000";
  let dir: string;
  let certificatePem: string;
  let privateKeyPem: string;
  let otherKeyPem: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mfg-msal-"));
    const make = (name: string) => appCertificate(dir, name);
    const app = make("app");
    certificatePem = app.cert;
    privateKeyPem = app.key;
    otherKeyPem = make("other").key;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const fakeEntra = (host: string) => fakeEntraId(host, TENANT_ID);

  test("gets an app-only token with a signed client assertion, and caches it", async () => {
    const entra = fakeEntra("https://login.microsoftonline.com");
    const provider = new MsalCertificateTokenProvider({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      certificatePem,
      privateKeyPem,
      networkClient: entra.networkClient,
    });
    assert.equal(provider.scope, "https://outlook.office365.com/.default");
    assert.equal(await provider.getToken(), "msal-access-token");
    assert.equal(await provider.getToken(), "msal-access-token");
    assert.equal(entra.posts.length, 1);

    const post = entra.posts[0] as { url: string; body: URLSearchParams };
    assert.equal(post.url.split("?")[0], `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token`);
    assert.equal(post.body.get("grant_type"), "client_credentials");
    assert.equal(post.body.get("client_id"), CLIENT_ID);
    assert.equal(post.body.get("scope"), "https://outlook.office365.com/.default");
    assert.equal(post.body.get("client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

    const [headerB64, payloadB64, signatureB64] = (post.body.get("client_assertion") as string).split(".") as [string, string, string];
    const header = JSON.parse(Buffer.from(headerB64, "base64url").toString("utf8"));
    const payload = JSON.parse(Buffer.from(payloadB64, "base64url").toString("utf8"));
    const certificate = new X509Certificate(certificatePem);
    assert.equal(header["x5t#S256"], createHash("sha256").update(certificate.raw).digest("base64url"));
    assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1, "x5c is sent");
    assert.deepEqual(
      { iss: payload.iss, sub: payload.sub, aud: payload.aud },
      { iss: CLIENT_ID, sub: CLIENT_ID, aud: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token` },
    );
    const signed = Buffer.from(`${headerB64}.${payloadB64}`);
    const signature = Buffer.from(signatureB64, "base64url");
    const valid =
      header.alg === "PS256"
        ? verify("sha256", signed, { key: certificate.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
        : verify("sha256", signed, certificate.publicKey, signature);
    assert.equal(valid, true, `signature (${header.alg}) verifies with the certificate`);
  });

  test("sovereign clouds: authority host and endpoint are configurable", async () => {
    const entra = fakeEntra("https://login.microsoftonline.us");
    const provider = new MsalCertificateTokenProvider({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      certificatePem,
      privateKeyPem,
      authorityHost: "https://login.microsoftonline.us/",
      endpoint: "https://outlook.office365.us",
      networkClient: entra.networkClient,
    });
    assert.equal(provider.authority, `https://login.microsoftonline.us/${TENANT_ID}`);
    assert.equal(await provider.getToken(), "msal-access-token");
    assert.equal(entra.posts[0]?.body.get("scope"), "https://outlook.office365.us/.default");
    assert.equal(entra.posts[0]?.url.split("?")[0], `https://login.microsoftonline.us/${TENANT_ID}/oauth2/v2.0/token`);
  });

  test("drives the client end to end against the local stand-in", async () => {
    const strict = await startLocalExchangeOnline({
      tenants: { [TENANT]: { acceptedDomains: ["contoso.com"] } },
      expectedToken: "msal-access-token",
      log: () => {},
    });
    try {
      const auth = new MsalCertificateTokenProvider({
        tenantId: TENANT_ID,
        clientId: CLIENT_ID,
        certificatePem,
        privateKeyPem,
        networkClient: fakeEntra("https://login.microsoftonline.com").networkClient,
      });
      const exo = new ExchangeOnlineClient({ endpoint: strict.url, tenant: TENANT, auth });
      assert.deepEqual(
        (await exo.getAcceptedDomains()).map((d) => d.DomainName),
        ["contoso.com"],
      );
    } finally {
      await strict.close();
    }
  });

  test("rejects a key that doesn't match the certificate, without showing either", () => {
    assert.throws(
      () => new MsalCertificateTokenProvider({ tenantId: TENANT_ID, clientId: CLIENT_ID, certificatePem, privateKeyPem: otherKeyPem }),
      { message: "MsalCertificateTokenProvider: 'privateKeyPem' doesn't belong to the certificate in 'certificatePem'." },
    );
    assert.throws(() => new MsalCertificateTokenProvider({ tenantId: TENANT_ID, clientId: "", certificatePem, privateKeyPem }), {
      message: "MsalCertificateTokenProvider: 'clientId' is required.",
    });
    assert.throws(
      () =>
        new MsalCertificateTokenProvider({
          tenantId: TENANT_ID,
          clientId: CLIENT_ID,
          certificatePem,
          privateKeyPem,
          thumbprintSha256: "abc",
        }),
      { message: "MsalCertificateTokenProvider: 'thumbprintSha256' must be 64 hex digits, got \"abc\"." },
    );
  });

  test("token errors name the scope and authority but no secrets", async () => {
    const networkClient: INetworkModule = {
      ...fakeEntra("https://login.microsoftonline.com").networkClient,
      async sendPostRequestAsync<T>(): Promise<NetworkResponse<T>> {
        return {
          status: 401,
          headers: {},
          body: {
            error: "invalid_client",
            error_description:
              "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.\r\nTrace ID: x",
            error_codes: [700027],
          } as T,
        };
      },
    };
    const provider = new MsalCertificateTokenProvider({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      certificatePem,
      privateKeyPem,
      networkClient,
    });
    await assert.rejects(provider.getToken(), (err: Error) => {
      // MSAL formats the server's error; the provider keeps its first line and adds context.
      assert.equal(
        err.message,
        `Could not get a token for https://outlook.office365.com/.default from https://login.microsoftonline.com/${TENANT_ID} (client ${CLIENT_ID}): invalid_client: Error(s): 700027 - Timestamp: Not Available - Description: AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.`,
      );
      assert.ok(!err.message.includes("PRIVATE KEY"));
      return true;
    });
  });
});

describe("what public clients of the admin API send and read", () => {
  const GUID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  function recording(body: unknown, status = 200) {
    const requests: { url: string; headers: Record<string, string> }[] = [];
    const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
      requests.push({ url: String(url), headers: { ...(init?.headers as Record<string, string>) } });
      return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    }) as typeof fetch;
    return { requests, fetchImpl };
  }
  const make = (tenant: string, fetchImpl: typeof fetch, extra: Partial<ExchangeOnlineClientOptions> = {}) =>
    new ExchangeOnlineClient({
      endpoint: "https://outlook.office365.com",
      tenant,
      auth: new StaticTokenProvider("t"),
      fetchImpl,
      maxRetries: 0,
      ...extra,
    });

  test("anchors on the system mailbox by UPN for an initial domain and by APP for a tenant id or custom domain", async () => {
    for (const [tenant, anchor] of [
      ["contoso.onmicrosoft.com", "UPN:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.onmicrosoft.com"],
      ["contoso.onmicrosoft.us", "UPN:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.onmicrosoft.us"],
      [GUID, `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${GUID}`],
      ["contoso.com", "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.com"],
    ] as const) {
      const { requests, fetchImpl } = recording({ value: [] });
      await make(tenant, fetchImpl).invoke("Get-AcceptedDomain");
      assert.equal(requests[0]?.headers["X-AnchorMailbox"], anchor, tenant);
    }
  });

  test("sends X-CmdletName, X-ResponseFormat, X-ClientApplication and Prefer: odata.maxpagesize=1000", async () => {
    const { requests, fetchImpl } = recording({ value: [] });
    await make(TENANT, fetchImpl).invoke("Get-InboundConnector");
    const headers = requests[0]?.headers ?? {};
    assert.equal(headers["X-CmdletName"], "Get-InboundConnector");
    assert.equal(headers["X-ResponseFormat"], "json");
    assert.equal(headers["X-ClientApplication"], "ExoManagementModule");
    assert.equal(headers.Prefer, "odata.maxpagesize=1000");
  });

  test("reports the inner exception's text, not Exchange's generic 'Invalid Operation' (live-captured body shape)", async () => {
    const body = {
      error: {
        code: "BadRequest",
        message: "Invalid Operation",
        details: [
          {
            code: "Client",
            target: "",
            message:
              "|Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException|Parameter set cannot be resolved using the specified named parameters.",
          },
        ],
        innererror: {
          message: "Invalid Operation",
          type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
          internalexception: {
            message: "Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. Bogus",
            type: "Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException",
          },
        },
      },
    };
    const inner = await rejection(make(TENANT, recording(body, 400).fetchImpl).invoke("Get-InboundConnector", { Bogus: 1 }));
    assert.equal(
      inner.message,
      "Get-InboundConnector failed for tenant contoso.onmicrosoft.com: 400 BadRequest: Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. Bogus",
    );
    const { innererror: _dropped, ...detailsOnly } = body.error;
    const fromDetails = await rejection(make(TENANT, recording({ error: detailsOnly }, 400).fetchImpl).invoke("Get-InboundConnector"));
    assert.equal(fromDetails.serverMessage, "Parameter set cannot be resolved using the specified named parameters.");
  });

  test("hands @adminapi.warnings to the caller", async () => {
    const warnings: string[] = [];
    const { fetchImpl } = recording({
      value: [{ Name: "a" }],
      "@adminapi.warnings": ["WARNING: The command completed successfully but no settings of 'x' have been modified."],
    });
    await make(TENANT, fetchImpl, { onWarning: (warning, cmdlet) => warnings.push(`${cmdlet}: ${warning}`) }).invoke(
      "Set-InboundConnector",
      { Identity: "x" },
    );
    assert.deepEqual(warnings, [
      "Set-InboundConnector: WARNING: The command completed successfully but no settings of 'x' have been modified.",
    ]);
  });
});
