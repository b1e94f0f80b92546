import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { evaluate } from "../../../policy/src/engine/evaluate";
import { readAcceptedDomains, readInboundConnectors } from "../../../policy/src/sources/exchange";
import {
  type LocalExchangeOnline,
  type LocalExchangeOnlineOptions,
  loadSeedFile,
  senderIpAddressProblem,
  startLocalExchangeOnline,
} from "../../../local-exchange-online/server";

// Tests for Local Exchange Online, the local stand-in for Exchange Online (not Microsoft's service).

const TENANT = "contoso.onmicrosoft.com";
const OTHER_TENANT = "fabrikam.onmicrosoft.com";
const NOW = "2026-03-01T10:00:00.000Z";
const MAIN_JS = path.resolve(__dirname, "../../../local-exchange-online/main.js");

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mfg-lexo-"));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(options: LocalExchangeOnlineOptions = {}): Promise<LocalExchangeOnline> {
  let guid = 0;
  return startLocalExchangeOnline({
    tenants: {
      [TENANT]: { acceptedDomains: ["contoso.com", TENANT] },
      [OTHER_TENANT]: { acceptedDomains: [OTHER_TENANT] },
    },
    log: () => {},
    clock: () => new Date(NOW),
    newGuid: () => `00000000-0000-4000-8000-${String(++guid).padStart(12, "0")}`,
    ...options,
  });
}

interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON inspected ad hoc by the assertions
  body: any;
}

async function invoke(
  server: LocalExchangeOnline,
  cmdletName: string,
  parameters: Record<string, unknown> = {},
  init: { tenant?: string; token?: string | null; url?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const token = init.token === undefined ? "test-token" : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const url = init.url ?? `${server.url}/adminapi/beta/${init.tenant ?? TENANT}/InvokeCommand`;
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdletName, Parameters: parameters } }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

async function admin(server: LocalExchangeOnline, method: string, route: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

function expectError(reply: Reply, status: number, code: string, message: string): void {
  assert.deepEqual({ status: reply.status, code: reply.body?.error?.code, message: reply.body?.error?.message }, { status, code, message });
}

const onPremCert = {
  Name: "Contoso on-premises",
  ConnectorType: "OnPremises",
  SenderDomains: ["*"],
  TlsSenderCertificateName: "contoso.com",
  RequireTls: true,
  RestrictDomainsToCertificate: true,
  TreatMessagesAsInternal: true,
};

describe("Local Exchange Online: protocol", () => {
  let server: LocalExchangeOnline;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  test("says it is a stand-in when it starts", async () => {
    const lines: string[] = [];
    const other = await startLocalExchangeOnline({ log: (line) => lines.push(line) });
    await other.close();
    assert.deepEqual(lines, [
      `Local Exchange Online listening on ${other.url} (local stand-in for Exchange Online, not Microsoft's service)`,
    ]);
    assert.match(other.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("requires a bearer token", async () => {
    expectError(
      await invoke(server, "Get-AcceptedDomain", {}, { token: null }),
      401,
      "Unauthorized",
      "The request doesn't have an Authorization header with a bearer token.",
    );
  });

  test("compares the token when started with an expected one", async () => {
    const strict = await start({ expectedToken: "right-token" });
    try {
      expectError(
        await invoke(strict, "Get-AcceptedDomain", {}, { token: "wrong-token" }),
        401,
        "Unauthorized",
        "The access token isn't valid for this server.",
      );
      assert.equal((await invoke(strict, "Get-AcceptedDomain", {}, { token: "right-token" })).status, 200);
    } finally {
      await strict.close();
    }
  });

  test("unknown tenant is a 404", async () => {
    expectError(
      await invoke(server, "Get-AcceptedDomain", {}, { tenant: "nobody.onmicrosoft.com" }),
      404,
      "TenantNotFound",
      'The tenant "nobody.onmicrosoft.com" wasn\'t found on this server.',
    );
  });

  test("unknown cmdlet and unknown parameter are 400s that name them", async () => {
    const unknownCmdlet = await invoke(server, "Get-Mailbox");
    expectError(
      unknownCmdlet,
      400,
      "BadRequest",
      "The term 'Get-Mailbox' is not recognized as a name of a cmdlet available on this server. Supported cmdlets: Get-AcceptedDomain, New-AcceptedDomain, Get-InboundConnector, New-InboundConnector, Set-InboundConnector, Remove-InboundConnector, Get-OrganizationConfig.",
    );
    const unknownParameter = await invoke(server, "New-InboundConnector", { ...onPremCert, Colour: "blue" });
    expectError(unknownParameter, 400, "BadRequest", "A parameter cannot be found that matches parameter name 'Colour'.");
    assert.deepEqual(unknownParameter.body.error.details, [
      {
        code: "ParameterBindingException",
        target: "Colour",
        message: "A parameter cannot be found that matches parameter name 'Colour'.",
      },
    ]);
  });

  test("a body that isn't JSON is a 400", async () => {
    const response = await fetch(`${server.url}/adminapi/beta/${TENANT}/InvokeCommand`, {
      method: "POST",
      headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
      body: "{not json",
    });
    expectError(
      { status: response.status, headers: response.headers, body: await response.json() },
      400,
      "BadRequest",
      "The request body isn't valid JSON.",
    );
  });

  test("Get-AcceptedDomain returns the seeded domains with Exchange property names", async () => {
    const reply = await invoke(server, "Get-AcceptedDomain", {}, { tenant: OTHER_TENANT });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.value, [
      {
        Identity: OTHER_TENANT,
        Name: OTHER_TENANT,
        DomainName: OTHER_TENANT,
        DomainType: "Authoritative",
        Default: true,
        InitialDomain: true,
        MatchSubDomains: false,
        Guid: "00000000-0000-4000-8000-000000000003",
        WhenCreated: NOW,
        WhenChanged: NOW,
      },
    ]);
    assert.equal(reply.body["@odata.nextLink"], undefined);
  });
});

describe("Local Exchange Online: inbound connectors", () => {
  let server: LocalExchangeOnline;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  test("New-InboundConnector creates and returns the connector", async () => {
    const reply = await invoke(server, "New-InboundConnector", onPremCert);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.value, [
      {
        Identity: "Contoso on-premises",
        Name: "Contoso on-premises",
        Guid: "00000000-0000-4000-8000-000000000004",
        ConnectorType: "OnPremises",
        ConnectorSource: "Default",
        Enabled: true,
        SenderDomains: ["smtp:*;1"],
        SenderIPAddresses: [],
        TlsSenderCertificateName: "contoso.com",
        RequireTls: true,
        RestrictDomainsToCertificate: true,
        RestrictDomainsToIPAddresses: false,
        TreatMessagesAsInternal: true,
        CloudServicesMailEnabled: false,
        Comment: null,
        WhenCreated: NOW,
        WhenChanged: NOW,
      },
    ]);
    const fetched = await invoke(server, "Get-InboundConnector", { Identity: "CONTOSO ON-PREMISES" });
    assert.deepEqual(fetched.body.value, reply.body.value);
  });

  test("names are unique per tenant, case-insensitively", async () => {
    const reply = await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "contoso ON-PREMISES" });
    expectError(reply, 409, "Conflict", 'The specified connector name "contoso ON-PREMISES" already exists.');
    // Another tenant may use the same name.
    const other = await invoke(
      server,
      "New-InboundConnector",
      { ...onPremCert, TlsSenderCertificateName: OTHER_TENANT },
      { tenant: OTHER_TENANT },
    );
    assert.equal(other.status, 200);
  });

  test("ConnectorType, Name and SenderDomains are mandatory on New", async () => {
    expectError(
      await invoke(server, "New-InboundConnector", { TlsSenderCertificateName: "contoso.com" }),
      400,
      "BadRequest",
      "Cannot process command because of one or more missing mandatory parameters: Name SenderDomains ConnectorType.",
    );
  });

  test("parameter values are type-checked like PowerShell binding", async () => {
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "x", RequireTls: "yes" }),
      400,
      "BadRequest",
      'Cannot bind parameter \'RequireTls\'. Cannot convert value "yes" to type "System.Boolean".',
    );
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "x", ConnectorType: "Hybrid" }),
      400,
      "BadRequest",
      'Cannot bind parameter \'ConnectorType\'. Cannot convert value "Hybrid" to type "TenantConnectorType". Valid values are: OnPremises, Partner.',
    );
  });

  test("names must not be empty or contain control characters", async () => {
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: " " }),
      400,
      "BadRequest",
      "Cannot validate argument on parameter 'Name'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.",
    );
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "a\nb" }),
      400,
      "BadRequest",
      'The connector name "a\\nb" contains control characters, which aren\'t allowed.',
    );
  });

  for (const [value, reason] of [
    ["2001:db8::1", "IPv6 addresses aren't supported"],
    ["203.0.113.1-203.0.113.9", "IP address ranges (a-b) aren't supported"],
    ["203.0.113.0/16", "the prefix /16 is shorter than /24"],
    ["203.0.113.0/33", '"/33" isn\'t a valid prefix length'],
    ["203.0.113", "it isn't an IPv4 address or CIDR range"],
    ["203.0.113.300", "it isn't an IPv4 address or CIDR range"],
    ["mail.contoso.com", "it isn't an IPv4 address or CIDR range"],
  ] as const) {
    test(`SenderIPAddresses rejects ${value}`, async () => {
      const reply = await invoke(server, "New-InboundConnector", {
        Name: `ip ${value}`,
        ConnectorType: "OnPremises",
        SenderDomains: ["*"],
        SenderIPAddresses: ["198.51.100.7", value],
      });
      expectError(
        reply,
        400,
        "BadRequest",
        `The SenderIPAddresses value "${value}" isn't valid: ${reason}. Specify a single IPv4 address or an IPv4 CIDR range with a prefix from /24 to /32.`,
      );
    });
  }

  test("SenderIPAddresses accepts single IPv4 addresses and /24–/32 ranges", async () => {
    for (const value of ["198.51.100.7", "198.51.100.0/24", "198.51.100.1/25", "198.51.100.9/32"]) {
      assert.equal(senderIpAddressProblem(value), null, value);
    }
    const reply = await invoke(server, "New-InboundConnector", {
      Name: "By IP",
      ConnectorType: "OnPremises",
      SenderDomains: "contoso.com",
      SenderIPAddresses: ["198.51.100.0/24", "203.0.113.5"],
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.value[0].SenderIPAddresses, ["198.51.100.0/24", "203.0.113.5"]);
    assert.deepEqual(reply.body.value[0].SenderDomains, ["smtp:contoso.com;1"]);
  });

  test("TreatMessagesAsInternal only on OnPremises and never with CloudServicesMailEnabled", async () => {
    expectError(
      await invoke(server, "New-InboundConnector", {
        Name: "Partner internal",
        ConnectorType: "Partner",
        SenderDomains: ["fabrikam.com"],
        TreatMessagesAsInternal: true,
      }),
      400,
      "BadRequest",
      'TreatMessagesAsInternal can be set to $true only when ConnectorType is OnPremises. The connector "Partner internal" has ConnectorType Partner.',
    );
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "Both", CloudServicesMailEnabled: true }),
      400,
      "BadRequest",
      "TreatMessagesAsInternal and CloudServicesMailEnabled can't both be set to $true on the same connector.",
    );
  });

  test("an OnPremises connector needs SenderIPAddresses or TlsSenderCertificateName", async () => {
    expectError(
      await invoke(server, "New-InboundConnector", { Name: "Neither", ConnectorType: "OnPremises", SenderDomains: ["*"] }),
      400,
      "BadRequest",
      'The OnPremises connector "Neither" must specify either SenderIPAddresses or TlsSenderCertificateName so Exchange Online can identify mail from your organization.',
    );
  });

  test("accepts a certificate name that is not an accepted domain, as Exchange Online does; the product's own rule reports it", async () => {
    // Exchange Online takes this connector (that is why MC1226222 exists); the stand-in must too, so
    // that the tests prove the product's checks, not the stand-in's.
    const reply = await invoke(server, "New-InboundConnector", {
      ...onPremCert,
      Name: "Relay",
      TlsSenderCertificateName: "relay.contoso.com",
    });
    assert.equal(reply.status, 200);
    const domains = await invoke(server, "Get-AcceptedDomain", {});
    const connectors = await invoke(server, "Get-InboundConnector", {});
    const tenant = readAcceptedDomains({ value: domains.body.value }, "live", "contoso.onmicrosoft.com").items;
    const inbound = readInboundConnectors({ value: connectors.body.value }, "live", "contoso.onmicrosoft.com").items;
    const findings = evaluate(
      { tenants: tenant, inboundConnectors: inbound, sendConnectors: [], certificates: [] },
      {},
      {
        only: ["certificate-name-is-accepted-domain"],
      },
    );
    assert.deepEqual(
      findings.map((f) => f.resource.name),
      ["Relay"],
    );
    // A Partner connector's certificate is not tied to the tenant's domains either.
    const partner = await invoke(server, "New-InboundConnector", {
      Name: "Partner cert",
      ConnectorType: "Partner",
      SenderDomains: ["fabrikam.com"],
      TlsSenderCertificateName: "*.fabrikam.com",
      RestrictDomainsToCertificate: true,
    });
    assert.equal(partner.status, 200);
  });

  test("New-AcceptedDomain makes a certificate domain acceptable", async () => {
    const added = await invoke(server, "New-AcceptedDomain", { Name: "Relay domain", DomainName: "s5hg3dcg.smtp.vendor.example" });
    assert.equal(added.status, 200);
    assert.equal(added.body.value[0].DomainName, "s5hg3dcg.smtp.vendor.example");
    const duplicate = await invoke(server, "New-AcceptedDomain", { Name: "Again", DomainName: "S5HG3DCG.smtp.vendor.example." });
    expectError(
      duplicate,
      409,
      "Conflict",
      'The domain "s5hg3dcg.smtp.vendor.example" is already an accepted domain of this organization.',
    );
    const reply = await invoke(server, "New-InboundConnector", {
      ...onPremCert,
      Name: "Vendor relay",
      TlsSenderCertificateName: "s5hg3dcg.smtp.vendor.example",
    });
    assert.equal(reply.status, 200);
  });

  test("TlsSenderCertificateName must be a domain, and RestrictDomainsToCertificate needs it", async () => {
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "Bad cert", TlsSenderCertificateName: "CN=contoso.com" }),
      400,
      "BadRequest",
      'The TlsSenderCertificateName value "CN=contoso.com" isn\'t valid. Specify a domain name such as contoso.com or *.contoso.com.',
    );
    expectError(
      await invoke(server, "New-InboundConnector", {
        Name: "Restrict",
        ConnectorType: "Partner",
        SenderDomains: ["fabrikam.com"],
        RestrictDomainsToCertificate: true,
      }),
      400,
      "BadRequest",
      "RestrictDomainsToCertificate can be set to $true only when TlsSenderCertificateName is specified.",
    );
  });

  test("Set-InboundConnector changes only the given parameters and validates the result", async () => {
    await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "To change", Comment: "first" });
    const before = (await invoke(server, "Get-InboundConnector", { Identity: "To change" })).body.value[0];
    const set = await invoke(server, "Set-InboundConnector", {
      Identity: "to change",
      Name: "Changed",
      SenderIPAddresses: ["203.0.113.0/24"],
      Comment: null,
    });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.value, []);
    const afterSet = (await invoke(server, "Get-InboundConnector", { Identity: "Changed" })).body.value[0];
    assert.deepEqual(afterSet, {
      ...before,
      Identity: "Changed",
      Name: "Changed",
      SenderIPAddresses: ["203.0.113.0/24"],
      Comment: null,
    });

    expectError(
      await invoke(server, "Set-InboundConnector", { Identity: "Changed", ConnectorType: "Partner" }),
      400,
      "BadRequest",
      'TreatMessagesAsInternal can be set to $true only when ConnectorType is OnPremises. The connector "Changed" has ConnectorType Partner.',
    );
    expectError(
      await invoke(server, "Set-InboundConnector", { Identity: "Changed", Name: "Contoso on-premises" }),
      409,
      "Conflict",
      'The specified connector name "Contoso on-premises" already exists.',
    );
    expectError(
      await invoke(server, "Set-InboundConnector", { Identity: "Nope", Enabled: false }),
      404,
      "NotFound",
      "The operation couldn't be performed because object 'Nope' couldn't be found on 'contoso.onmicrosoft.com'.",
    );
    // The failed calls left it alone.
    assert.deepEqual((await invoke(server, "Get-InboundConnector", { Identity: "Changed" })).body.value[0], afterSet);
  });

  test("Remove-InboundConnector deletes; Get by identity then reports it couldn't be found", async () => {
    await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "Doomed" });
    const removed = await invoke(server, "Remove-InboundConnector", { Identity: "Doomed", Confirm: false });
    assert.deepEqual({ status: removed.status, value: removed.body.value }, { status: 200, value: [] });
    const reply = await invoke(server, "Get-InboundConnector", { Identity: "Doomed" });
    expectError(
      reply,
      404,
      "NotFound",
      "The operation couldn't be performed because object 'Doomed' couldn't be found on 'contoso.onmicrosoft.com'.",
    );
    assert.equal(reply.body.error.details[0].code, "ManagementObjectNotFoundException");
  });
});

describe("Local Exchange Online: paging", () => {
  test("Get-InboundConnector pages with @odata.nextLink", async () => {
    const server = await start({ pageSize: 2 });
    try {
      for (const n of [1, 2, 3, 4, 5]) {
        await invoke(server, "New-InboundConnector", { ...onPremCert, Name: `c${n}` });
      }
      const names: string[] = [];
      let url: string | undefined;
      let pages = 0;
      do {
        const reply = await invoke(server, "Get-InboundConnector", {}, url ? { url } : {});
        assert.equal(reply.status, 200);
        names.push(...reply.body.value.map((c: { Name: string }) => c.Name));
        url = reply.body["@odata.nextLink"];
        if (url) assert.ok(url.startsWith(`${server.url}/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=`), url);
        pages++;
      } while (url);
      assert.deepEqual(names, ["c1", "c2", "c3", "c4", "c5"]);
      assert.equal(pages, 3);
    } finally {
      await server.close();
    }
  });
});

describe("Local Exchange Online: faults", () => {
  let server: LocalExchangeOnline;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  test("queued through the admin endpoint, consumed one per request", async () => {
    const queued = await admin(server, "POST", "/_admin/faults", {
      queue: [{ status: 429, retryAfter: 2 }, { status: 500 }, { delayMs: 5 }],
    });
    assert.equal(queued.status, 200);
    assert.equal(queued.body.queue.length, 3);

    const throttled = await invoke(server, "Get-AcceptedDomain");
    expectError(throttled, 429, "TooManyRequests", "The request was throttled (injected fault). Retry after 2 seconds.");
    assert.equal(throttled.headers.get("retry-after"), "2");

    expectError(
      await invoke(server, "Get-AcceptedDomain"),
      500,
      "InternalServerError",
      "The server couldn't process the request (injected fault, 500 InternalServerError).",
    );
    const delayed = await invoke(server, "Get-AcceptedDomain");
    assert.equal(delayed.status, 200);
    assert.equal(delayed.body.value.length, 2);
    assert.deepEqual((await admin(server, "GET", "/_admin/faults")).body, { queue: [] });
  });

  test("a fault for one cmdlet lets other cmdlets pass", async () => {
    server.injectFaults({ status: 503, cmdlet: "New-InboundConnector" });
    assert.equal((await invoke(server, "Get-AcceptedDomain")).status, 200);
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "Filtered" }),
      503,
      "ServiceUnavailable",
      "The server couldn't process the request (injected fault, 503 ServiceUnavailable).",
    );
    assert.deepEqual(server.pendingFaults(), []);
  });

  test("afterCommit applies and persists the cmdlet but answers with the error", async () => {
    server.injectFaults({ status: 500, afterCommit: true });
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "Interrupted" }),
      500,
      "InternalServerError",
      "The command was applied, but the response was lost (injected fault, 500 InternalServerError).",
    );
    const names = server.state().tenants[TENANT]?.inboundConnectors.map((c) => c.Name);
    assert.deepEqual(names, ["Interrupted"]);
    // The retry a client would make: it must adopt by name.
    expectError(
      await invoke(server, "New-InboundConnector", { ...onPremCert, Name: "Interrupted" }),
      409,
      "Conflict",
      'The specified connector name "Interrupted" already exists.',
    );
  });

  test("invalid faults are refused with the reason", async () => {
    const reply = await admin(server, "POST", "/_admin/faults", { queue: [{ status: 200 }, { afterCommit: true }] });
    expectError(
      reply,
      400,
      "BadRequest",
      "Invalid fault queue: queue[0].status: Too small: expected number to be >=400; queue[1]: a fault needs a status, a delayMs, or both; queue[1].afterCommit: afterCommit needs a status to answer with",
    );
    assert.throws(() => server.injectFaults({ delayMs: -1 }), {
      message: "Invalid fault: [0].delayMs: Too small: expected number to be >=0",
    });
  });

  test("admin state and reset", async () => {
    const state = await admin(server, "GET", "/_admin/state");
    assert.deepEqual(Object.keys(state.body.tenants), [TENANT, OTHER_TENANT]);
    server.injectFaults({ status: 500 });
    const reset = await admin(server, "POST", "/_admin/reset");
    assert.equal(reset.status, 200);
    assert.deepEqual(reset.body.tenants[TENANT].inboundConnectors, []);
    assert.deepEqual(server.pendingFaults(), []);
  });

  test("requests are counted and recorded without the token", async () => {
    const before = server.requests;
    await fetch(`${server.url}/adminapi/beta/${TENANT}/InvokeCommand`, {
      method: "POST",
      headers: {
        Authorization: "Bearer secret-value",
        "Content-Type": "application/json",
        "X-CmdletName": "Get-AcceptedDomain",
        "X-AnchorMailbox": `UPN:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${TENANT}`,
      },
      body: JSON.stringify({ CmdletInput: { CmdletName: "Get-AcceptedDomain" } }),
    });
    assert.equal(server.requests, before + 1);
    const last = server.recentRequests().at(-1);
    assert.deepEqual(last && { ...last, at: "" }, {
      at: "",
      tenant: TENANT,
      cmdletName: "Get-AcceptedDomain",
      headerCmdletName: "Get-AcceptedDomain",
      anchorMailbox: `UPN:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${TENANT}`,
      contentType: "application/json",
      authorized: true,
      status: 200,
      fault: null,
    });
    assert.ok(!JSON.stringify(server.recentRequests()).includes("secret-value"));
  });
});

describe("Local Exchange Online: persistence and seed", () => {
  test("state survives a restart and is written atomically", async () => {
    const dir = tempDir();
    const statePath = path.join(dir, "state.json");
    const first = await start({ statePath });
    await invoke(first, "New-InboundConnector", { ...onPremCert, Name: "Persisted" });
    await first.close();
    assert.deepEqual(fs.readdirSync(dir), ["state.json"]);

    const second = await start({ statePath });
    try {
      const reply = await invoke(second, "Get-InboundConnector", { Identity: "Persisted" });
      assert.equal(reply.status, 200);
      assert.equal(reply.body.value[0].Guid, "00000000-0000-4000-8000-000000000004");
    } finally {
      await second.close();
    }
  });

  test("Get-OrganizationConfig gives each tenant an ID of its own, kept across a restart", async () => {
    const statePath = path.join(tempDir(), "state.json");
    const first = await start({ statePath });
    const id = (tenant: string) =>
      invoke(first, "Get-OrganizationConfig", {}, { tenant }).then((r) => r.body.value[0].ExternalDirectoryOrganizationId as string);
    const contoso = await id(TENANT);
    assert.match(contoso, /^00000000-0000-4000-8000-\d{12}$/);
    assert.notEqual(await id(OTHER_TENANT), contoso);
    assert.equal(await id(TENANT), contoso);
    await first.close();
    const second = await start({ statePath });
    try {
      const reply = await invoke(second, "Get-OrganizationConfig");
      assert.deepEqual(reply.body.value, [{ Identity: "contoso", Name: "contoso", ExternalDirectoryOrganizationId: contoso }]);
    } finally {
      await second.close();
    }
  });

  test("an invalid state file stops the start with the field named", async () => {
    const statePath = path.join(tempDir(), "state.json");
    fs.writeFileSync(
      statePath,
      JSON.stringify({ version: 1, tenants: { [TENANT]: { acceptedDomains: [], inboundConnectors: [{ Name: 1 }] } } }),
    );
    await assert.rejects(start({ statePath }), (err: Error) => {
      assert.match(
        err.message,
        /^Local Exchange Online state file .*state\.json is invalid: tenants\["contoso\.onmicrosoft\.com"\]\.inboundConnectors\[0\]\.Identity: Invalid input: expected string, received undefined; /,
      );
      return true;
    });
  });

  test("seed files are validated with the field named", () => {
    const dir = tempDir();
    const good = path.join(dir, "good.json");
    fs.writeFileSync(good, JSON.stringify({ tenants: { [TENANT]: { acceptedDomains: ["contoso.com"] } } }));
    assert.deepEqual(loadSeedFile(good), { tenants: { [TENANT]: { acceptedDomains: ["contoso.com"] } } });

    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ tenants: { [TENANT]: { acceptedDomains: ["contoso com"], extra: 1 } } }));
    assert.throws(() => loadSeedFile(bad), {
      message: `Seed file ${bad} is invalid: tenants["contoso.onmicrosoft.com"].acceptedDomains[0]: expected a domain name such as contoso.com, got "contoso com"; tenants["contoso.onmicrosoft.com"]: Unrecognized key: "extra"`,
    });
    const empty = path.join(dir, "empty.json");
    fs.writeFileSync(empty, JSON.stringify({ tenants: { [TENANT]: { acceptedDomains: [] } } }));
    assert.throws(() => loadSeedFile(empty), {
      message: `Seed file ${empty} is invalid: tenants["contoso.onmicrosoft.com"].acceptedDomains: a tenant needs at least one accepted domain`,
    });
  });
});

describe("Local Exchange Online: main.js", () => {
  test("prints the URL, writes the ready file, serves, and stops on SIGTERM", async () => {
    const dir = tempDir();
    const seed = path.join(dir, "seed.json");
    const readyFile = path.join(dir, "ready");
    fs.writeFileSync(seed, JSON.stringify({ tenants: { [TENANT]: { acceptedDomains: ["contoso.com", TENANT] } } }));
    const child = spawn(
      process.execPath,
      [MAIN_JS, "--port", "0", "--state", path.join(dir, "state.json"), "--seed", seed, "--ready-file", readyFile],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk;
        const match = /^LOCAL_EXO_URL=(\S+)$/m.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.on("close", () => reject(new Error(`main.js exited early: ${stderr}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(fs.readFileSync(readyFile, "utf8"), `${url}\n`);
    assert.match(stderr, /local stand-in for Exchange Online, not Microsoft's service/);

    const response = await fetch(`${url}/adminapi/beta/${TENANT}/InvokeCommand`, {
      method: "POST",
      headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
      body: JSON.stringify({ CmdletInput: { CmdletName: "Get-AcceptedDomain", Parameters: {} } }),
    });
    const body = (await response.json()) as { value: Array<{ DomainName: string }> };
    assert.deepEqual(
      body.value.map((d) => d.DomainName),
      ["contoso.com", TENANT],
    );

    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.equal(fs.existsSync(readyFile), false);
  });

  test("a bad seed file exits 2 with the reason", async () => {
    const dir = tempDir();
    const seed = path.join(dir, "seed.json");
    fs.writeFileSync(seed, JSON.stringify({ tenants: { [TENANT]: {} } }));
    const child = spawn(process.execPath, [MAIN_JS, "--seed", seed], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `local-exchange-online: Seed file ${seed} is invalid: tenants["contoso.onmicrosoft.com"].acceptedDomains: Invalid input: expected array, received undefined\n`,
    );
  });
});
