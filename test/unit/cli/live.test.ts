import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_CONCURRENCY, defaultRetryBudget, type LiveOptions, type LiveReaderFactory, liveAuthentication } from "../../../cli/live";
import { SharedPacer } from "../../../cli/live/pacer";
import { formatLiveSummary, progressPrinter } from "../../../cli/live/summary";
import { listTenants } from "../../../cli/live/tenants-file";
import { type CliIo, run } from "../../../cli/main";
import { ExchangeOnlineClient, MsalCertificateTokenProvider, StaticTokenProvider } from "../../../components/exo/client";
import { type LocalExchangeOnline, standInTenantName, startLocalExchangeOnline } from "../../../local-exchange-online/server";
import { appCertificate } from "../../support/app-certificate";
import { fakeEntraId } from "../../support/fake-entra";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "mfg-live-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], liveReader?: LiveReaderFactory) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: dir,
    env: { EXO_TOKEN: "t" },
    stderrIsTty: false,
    ...(liveReader ? { liveReader } : {}),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

function tenantsFile(name: string, lines: readonly string[]): string {
  writeFileSync(join(dir, name), `${lines.join("\n")}\n`);
  return name;
}

/** The reader the CLI uses, with the backoff shortened so that a test of five failing attempts takes milliseconds. */
const quickBackoff: LiveReaderFactory = (tenant, options, _env, runContext) =>
  new ExchangeOnlineClient({
    endpoint: options.endpoint,
    tenant,
    auth: runContext.auth(tenant),
    pacer: runContext.pacer,
    backoffBaseMs: 1,
  });

describe("--live-tenants file", () => {
  it("reads one initial domain or tenant ID per line, with # comments, blank lines and every cloud's suffix", () => {
    const list = listTenants([], {
      shown: "tenants.txt",
      text: [
        "# customers, exported from the PSA",
        "contoso.onmicrosoft.com",
        "",
        "  fabrikam.onmicrosoft.us   # GCC High",
        "11111111-2222-3333-4444-555555555555",
        "northwind.partner.onmschina.cn",
      ].join("\r\n"),
    });
    assert.deepEqual(list, {
      tenants: [
        "contoso.onmicrosoft.com",
        "fabrikam.onmicrosoft.us",
        "11111111-2222-3333-4444-555555555555",
        "northwind.partner.onmschina.cn",
      ],
      malformed: [],
      duplicates: [],
    });
  });

  it("names each malformed line with the file, its number, the value and the fix", () => {
    const list = listTenants([], {
      shown: "tenants.txt",
      text: ["contoso.com", "adatum.onmicrosoft.com litware.onmicrosoft.com", "admin@contoso.onmicrosoft.com", ".onmicrosoft.com"].join(
        "\n",
      ),
    });
    assert.deepEqual(list.tenants, []);
    assert.deepEqual(list.malformed, [
      {
        input: "tenants.txt:1",
        message:
          'tenants.txt:1: "contoso.com" is neither an initial domain (<name>.onmicrosoft.com, <name>.onmicrosoft.us, <name>.partner.onmschina.cn) nor a tenant ID (a GUID); give the tenant\'s initial domain or its tenant ID, or comment the line out with #',
      },
      {
        input: "tenants.txt:2",
        message: 'tenants.txt:2: "adatum.onmicrosoft.com litware.onmicrosoft.com" holds more than one value; give one tenant per line',
      },
      {
        input: "tenants.txt:3",
        message:
          'tenants.txt:3: "admin@contoso.onmicrosoft.com" is an address, not a tenant; give the tenant\'s initial domain or its tenant ID',
      },
      {
        input: "tenants.txt:4",
        message:
          'tenants.txt:4: ".onmicrosoft.com" is neither an initial domain (<name>.onmicrosoft.com, <name>.onmicrosoft.us, <name>.partner.onmschina.cn) nor a tenant ID (a GUID); give the tenant\'s initial domain or its tenant ID, or comment the line out with #',
      },
    ]);
  });

  it("reads a repeated tenant once and names the repetition (in the file, against --live, and in --live itself)", () => {
    const list = listTenants(["Contoso.onmicrosoft.com", "adatum.onmicrosoft.com", "adatum.onmicrosoft.com"], {
      shown: "tenants.txt",
      text: ["contoso.onmicrosoft.com", "litware.onmicrosoft.com", "LITWARE.onmicrosoft.com"].join("\n"),
    });
    assert.deepEqual(list.tenants, ["Contoso.onmicrosoft.com", "adatum.onmicrosoft.com", "litware.onmicrosoft.com"]);
    assert.deepEqual(list.duplicates, [
      "--live adatum.onmicrosoft.com: given more than once; it is read once. Remove the repeated --live",
      'tenants.txt:1: "contoso.onmicrosoft.com" is also given with --live; it is read once. Remove the repeated line',
      'tenants.txt:3: "LITWARE.onmicrosoft.com" repeats line 2; it is read once. Remove the repeated line',
    ]);
  });

  it("audits the good lines, names the bad one under Not read and exits 2; a repeat is a warning only", async () => {
    const server = await startLocalExchangeOnline({ generatedTenants: 2, log: () => {} });
    try {
      const file = tenantsFile("mixed.txt", [standInTenantName(1), "t00002.example", standInTenantName(2), standInTenantName(1)]);
      const argv = ["audit", "--live-tenants", file, "--endpoint", server.url, "--token-env", "EXO_TOKEN"];
      const { code, stdout, stderr } = await cli(argv);
      assert.equal(code, 2);
      assert.equal(
        stderr,
        'mailflow-guard: warning: mixed.txt:4: "t00001.onmicrosoft.com" repeats line 1; it is read once. Remove the repeated line\n',
      );
      assert.match(stdout, /^Not read:\n {2}mixed\.txt:2: not an initial domain or tenant ID\n$/m);
      assert.match(stdout, /^ {2}mixed\.txt:2: "t00002\.example" is neither an initial domain/m);
      assert.match(stdout, /^Read 0 files, 2 tenants, 2 inbound connectors, .*; live: 2\/2 tenants read in /m);
    } finally {
      await server.close();
    }
  });

  it("reads a list that Windows PowerShell wrote (Out-File: UTF-16 with a byte order mark)", async () => {
    const server = await startLocalExchangeOnline({ generatedTenants: 2, log: () => {} });
    try {
      const text = `\uFEFF${standInTenantName(1)}\r\n${standInTenantName(2)}\r\n`;
      writeFileSync(join(dir, "utf16.txt"), Buffer.from(text, "utf16le"));
      const { code, stdout } = await cli([
        "audit",
        "--live-tenants",
        "utf16.txt",
        "--endpoint",
        server.url,
        "--token-env",
        "EXO_TOKEN",
        "--format",
        "json",
      ]);
      assert.equal(code, 0, "two healthy tenants, both read");
      assert.deepEqual(JSON.parse(stdout).summary.live.read, 2);
    } finally {
      await server.close();
    }
  });

  it("refuses a file that cannot be read, and limits that are not whole numbers in range, in one line each", async () => {
    const missing = await cli(["audit", "--live-tenants", "nope.txt", "--token-env", "EXO_TOKEN"]);
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      'mailflow-guard: error: --live-tenants nope.txt: cannot be read (ENOENT); give a file with one initial domain or tenant ID per line\nSee "mailflow-guard audit --help".\n',
    );
    for (const [flag, value, example] of [
      ["--concurrency", "0", "64"],
      ["--concurrency", "300", "64"],
      ["--retry-budget", "ten", "1000"],
    ] as const) {
      const { code, stderr } = await cli(["audit", "--live", "contoso.onmicrosoft.com", "--token-env", "EXO_TOKEN", flag, value]);
      assert.equal(code, 2);
      const max = flag === "--concurrency" ? 256 : 1_000_000;
      assert.equal(
        stderr,
        `mailflow-guard: error: ${flag} "${value}" is not a whole number from 1 to ${max}. Give, for example, ${flag} ${example}\nSee "mailflow-guard audit --help".\n`,
      );
    }
    assert.equal(DEFAULT_CONCURRENCY, 64);
  });

  it("states the default concurrency and the budget in every live command's help", async () => {
    for (const command of ["audit", "inventory", "plan"]) {
      const { stdout } = await cli([command, "--help"]);
      assert.match(
        stdout,
        /^ {2}--concurrency <n> +tenants read at once \(default 64, measured: docs\/live-audit\.md; 1 = one by one\);$/m,
      );
      assert.match(stdout, /^ {2}--retry-budget <n> +retries \(429, 5xx, network\) the whole run may make \(default: one per tenant, at$/m);
    }
  });
});

describe("SharedPacer: the run's retry budget and the shared pause", () => {
  it("allows retries up to the budget, then says why not", () => {
    const pacer = new SharedPacer({ retryBudget: 2 });
    assert.equal(pacer.retry(503, 100), undefined);
    assert.equal(pacer.retry(undefined, 100), undefined);
    assert.equal(pacer.retry(503, 100), "the run's retry budget of 2 retries is spent (--retry-budget)");
    assert.deepEqual(pacer.counts, { requests: 0, retries: 2, throttled: 0 });
  });

  it("makes every client wait out a 429's Retry-After, not only the throttled one; a 5xx pauses no one", async () => {
    let clock = 10_000;
    const slept: number[] = [];
    const pacer = new SharedPacer({
      retryBudget: 10,
      now: () => clock,
      random: () => 0,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    });
    const first = await pacer.acquire();
    first(503);
    pacer.retry(503, 400);
    await pacer.acquire();
    assert.deepEqual(slept, [], "a 5xx is the one client's backoff");
    const throttled = await pacer.acquire();
    throttled(429);
    assert.equal(pacer.retry(429, 2000), undefined);
    // Another tenant's client, which was never throttled, now waits too.
    (await pacer.acquire())(200);
    assert.deepEqual(slept, [2000]);
    assert.equal(clock, 12_000);
    assert.deepEqual(pacer.counts, { requests: 4, retries: 2, throttled: 1 });
  });

  it("keeps the pause even when the budget refuses the retry", () => {
    const pacer = new SharedPacer({ retryBudget: 0, now: () => 0 });
    assert.match(pacer.retry(429, 1500) as string, /retry budget of 0 retries is spent/);
    assert.equal(pacer.pausedUntil, 1500);
  });

  it("ends a request that keeps failing once the run's budget is spent, with the reason", async () => {
    const server = await startLocalExchangeOnline({
      tenants: { "contoso.onmicrosoft.com": { acceptedDomains: ["contoso.com"] } },
      log: () => {},
    });
    try {
      server.injectFaults({ status: 500 }, { status: 500 }, { status: 500 });
      const pacer = new SharedPacer({ retryBudget: 1 });
      const client = new ExchangeOnlineClient({
        endpoint: server.url,
        tenant: "contoso.onmicrosoft.com",
        auth: new StaticTokenProvider("t"),
        pacer,
        backoffBaseMs: 1,
      });
      await assert.rejects(client.getAcceptedDomains(), {
        message:
          "Get-AcceptedDomain failed for tenant contoso.onmicrosoft.com: 500 InternalServerError: The server couldn't process the request (injected fault, 500 InternalServerError). (gave up after 2 attempts: the run's retry budget of 1 retries is spent (--retry-budget))",
      });
      assert.deepEqual(pacer.counts, { requests: 2, retries: 1, throttled: 0 });
    } finally {
      await server.close();
    }
  });
});

describe("live audit of many stand-in tenants", () => {
  let server: LocalExchangeOnline;
  let file: string;
  const TENANTS = 60;
  before(async () => {
    server = await startLocalExchangeOnline({ generatedTenants: TENANTS, latencyMs: 5, log: () => {} });
    file = tenantsFile(
      "many.txt",
      Array.from({ length: TENANTS }, (_, i) => standInTenantName(i + 1)),
    );
  });
  after(() => server.close());
  const audit = (...extra: string[]) =>
    cli(["audit", "--live-tenants", file, "--endpoint", server.url, "--token-env", "EXO_TOKEN", "--format", "json", ...extra]);

  it("finds exactly what a one-by-one run finds, in the same order, with every tenant read", async () => {
    const sequential = await audit("--concurrency", "1");
    const parallel = await audit();
    assert.equal(sequential.code, 1);
    assert.equal(parallel.code, 1);
    const one = JSON.parse(sequential.stdout);
    const many = JSON.parse(parallel.stdout);
    assert.deepEqual(many.findings, one.findings);
    // The generated tenants plant a defect in every 10th and an IP-only connector in every 7th (not 10th).
    assert.deepEqual(many.summary.findings, { mandatory: 6, advisory: 8, total: 14 });
    assert.deepEqual(
      { ...many.summary.live, elapsedMs: 0, tenantsPerSecond: 0 },
      {
        tenants: TENANTS,
        read: TENANTS,
        notRead: 0,
        concurrency: TENANTS,
        elapsedMs: 0,
        tenantsPerSecond: 0,
        requests: 2 * TENANTS,
        retries: 0,
        retryBudget: 100,
        throttled: 0,
      },
    );
    assert.equal(one.summary.live.concurrency, 1);
  });

  it("with 429s on a tenth of the requests, still reads every tenant, each 429 retried once, within the budget", async () => {
    const throttled = await startLocalExchangeOnline({
      generatedTenants: TENANTS,
      latencyMs: 5,
      throttle: { fraction: 0.1, retryAfterSeconds: 0 },
      log: () => {},
    });
    try {
      const { code, stdout, stderr } = await cli([
        "audit",
        "--live-tenants",
        file,
        "--endpoint",
        throttled.url,
        "--token-env",
        "EXO_TOKEN",
        "--format",
        "json",
        "--retry-budget",
        "20",
      ]);
      assert.equal(code, 1, stderr);
      const report = JSON.parse(stdout);
      assert.deepEqual(report.summary.inputsNotRead, []);
      const live = report.summary.live;
      assert.equal(live.read, TENANTS);
      assert.equal(live.throttled, throttled.throttledRequests);
      // 120 reads and one 429 in ten arrivals: 13 throttled (the 10th, 20th, ... of 133 requests), each retried once.
      assert.deepEqual(
        { requests: live.requests, retries: live.retries, throttled: live.throttled },
        { requests: 133, retries: 13, throttled: 13 },
      );
      assert.ok(live.retries <= live.retryBudget);
      assert.equal(live.retryBudget, 20);
      assert.match(
        stderr,
        /; live: 60\/60 tenants read in \d+\.\d s \(\d+\.\d\/s, 60 at a time\), 133 requests, 13 retries \(13 throttled\) of a budget of 20\.\n$/,
      );
    } finally {
      await throttled.close();
    }
  });

  it("puts the live figures in the SARIF run's properties and keeps progress off stdout", async () => {
    const { stdout } = await audit("--format", "sarif", "--progress");
    const sarif = JSON.parse(stdout);
    assert.equal(sarif.runs[0].properties.live.read, TENANTS);
    assert.equal(sarif.runs[0].properties.live.requests, 2 * TENANTS);
  });
});

describe("a tenant that keeps failing", () => {
  it("is named under Not read with the reason, the others are audited, and the run exits 2", async () => {
    const server = await startLocalExchangeOnline({ generatedTenants: 3, log: () => {} });
    try {
      const bad = standInTenantName(2);
      server.injectFaults(...Array.from({ length: 5 }, () => ({ status: 503, tenant: bad })));
      const file = tenantsFile("failing.txt", [1, 2, 3].map(standInTenantName));
      const { code, stdout } = await cli(
        ["audit", "--live-tenants", file, "--endpoint", server.url, "--token-env", "EXO_TOKEN", "--format", "json"],
        quickBackoff,
      );
      assert.equal(code, 2);
      const report = JSON.parse(stdout);
      assert.deepEqual(report.problems, [
        "live:t00002.onmicrosoft.com: cannot be read (Get-AcceptedDomain failed for tenant t00002.onmicrosoft.com: 503 ServiceUnavailable: The server couldn't process the request (injected fault, 503 ServiceUnavailable). (gave up after 5 attempts: maxRetries 4 reached))",
      ]);
      assert.deepEqual(report.summary.inputsNotRead, [
        { input: "live:t00002.onmicrosoft.com", reason: "Get-AcceptedDomain failed (503 ServiceUnavailable) after 5 attempts" },
      ]);
      assert.equal(report.summary.tenants, 2);
      assert.deepEqual(
        { read: report.summary.live.read, notRead: report.summary.live.notRead, retries: report.summary.live.retries },
        { read: 2, notRead: 1, retries: 4 },
      );
    } finally {
      await server.close();
    }
  });

  it("is named with the budget as the reason when the run's retries are spent", async () => {
    const server = await startLocalExchangeOnline({ generatedTenants: 2, log: () => {} });
    try {
      server.injectFaults(...Array.from({ length: 5 }, () => ({ status: 500, tenant: standInTenantName(1) })));
      const { code, stdout } = await cli(
        [
          "audit",
          "--live",
          standInTenantName(1),
          "--live",
          standInTenantName(2),
          "--endpoint",
          server.url,
          "--token-env",
          "EXO_TOKEN",
          "--retry-budget",
          "2",
        ],
        quickBackoff,
      );
      assert.equal(code, 2);
      assert.match(
        stdout,
        /^ {2}live:t00001\.onmicrosoft\.com: cannot be read \(Get-AcceptedDomain failed for tenant t00001\.onmicrosoft\.com: 500 InternalServerError: .*\(gave up after 3 attempts: the run's retry budget of 2 retries is spent \(--retry-budget\)\)\)$/m,
      );
      assert.match(
        stdout,
        /^Not read:\n {2}live:t00001\.onmicrosoft\.com: Get-AcceptedDomain failed \(500 InternalServerError\) after 3 attempts\n$/m,
      );
      assert.match(stdout, /; live: 1\/2 tenants read in .*, 2 retries of a budget of 2\.$/m);
    } finally {
      await server.close();
    }
  });
});

describe("progress and summary figures", () => {
  it("prints the first tenant done, then at most one line a second, and always the last", () => {
    const lines: string[] = [];
    let clock = 0;
    const print = progressPrinter(
      (line) => lines.push(line),
      () => clock,
    );
    const at = (done: number, ms: number) => {
      clock = ms;
      print({
        done,
        total: 4,
        notRead: done === 4 ? 1 : 0,
        elapsedMs: ms,
        tenantsPerSecond: (done * 1000) / ms,
        remainingMs: ((4 - done) * ms) / done,
        requests: done * 2,
        retries: 1,
        throttled: 1,
      });
    };
    at(1, 500);
    at(2, 900);
    at(3, 1600);
    at(4, 1700);
    assert.deepEqual(lines, [
      "live: 1/4 tenants, 2.0/s, about 1.5 s left, 1 retry (1 throttled)",
      "live: 3/4 tenants, 1.9/s, about 0.5 s left, 1 retry (1 throttled)",
      "live: 4/4 tenants, 2.4/s, done, 1 retry (1 throttled), 1 not read",
    ]);
  });

  it("states the run's figures in one clause of the summary line", () => {
    assert.equal(
      formatLiveSummary({
        tenants: 1000,
        read: 1000,
        notRead: 0,
        concurrency: 64,
        elapsedMs: 65_400,
        tenantsPerSecond: 15.3,
        requests: 2200,
        retries: 200,
        retryBudget: defaultRetryBudget(1000),
        throttled: 200,
      }),
      "live: 1000/1000 tenants read in 1 min 5 s (15.3/s, 64 at a time), 2200 requests, 200 retries (200 throttled) of a budget of 1000",
    );
    assert.equal(defaultRetryBudget(10), 100);
  });
});

describe("app-only sign-in: one token per tenant authority", () => {
  const TENANT_ID = "11111111-2222-3333-4444-555555555555";
  const keyPair = (name: string) => appCertificate(dir, name);
  const options = (files: { certificateFile: string; privateKeyFile: string }, tenants: string[]): LiveOptions => ({
    tenants,
    endpoint: "https://outlook.office365.com",
    clientId: "66666666-7777-8888-9999-000000000000",
    ...files,
  });

  it("keeps one token provider per tenant authority for the whole run, whatever the case of the name", () => {
    const auth = liveAuthentication(options(keyPair("app"), ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]), {});
    assert.equal(auth("contoso.onmicrosoft.com"), auth("Contoso.onmicrosoft.com"));
    assert.notEqual(auth("contoso.onmicrosoft.com"), auth("fabrikam.onmicrosoft.com"));
    assert.equal(
      (auth("fabrikam.onmicrosoft.com") as MsalCertificateTokenProvider).authority,
      "https://login.microsoftonline.com/fabrikam.onmicrosoft.com",
    );
  });

  it("signs in once for requests that ask for a token at the same time, and reuses MSAL's cached token after", async () => {
    const files = keyPair("app2");
    const entra = fakeEntraId("https://login.microsoftonline.com", TENANT_ID);
    const provider = new MsalCertificateTokenProvider({
      tenantId: TENANT_ID,
      clientId: "66666666-7777-8888-9999-000000000000",
      certificatePem: files.cert,
      privateKeyPem: files.key,
      networkClient: entra.networkClient,
    });
    const tokens = await Promise.all(Array.from({ length: 8 }, () => provider.getToken()));
    assert.deepEqual(new Set(tokens), new Set(["msal-access-token"]));
    assert.equal(await provider.getToken(), "msal-access-token");
    assert.equal(entra.posts.length, 1);
  });

  it("refuses a key that does not belong to the certificate once, before any tenant is read", async () => {
    const app = keyPair("app3");
    const other = keyPair("other3");
    const { code, stderr } = await cli([
      "audit",
      "--live",
      "contoso.onmicrosoft.com",
      "--client-id",
      "66666666-7777-8888-9999-000000000000",
      "--certificate-file",
      app.certificateFile,
      "--private-key-file",
      other.privateKeyFile,
    ]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `mailflow-guard: error: --certificate-file/--private-key-file: 'privateKeyPem' doesn't belong to the certificate in 'certificatePem'.\nSee "mailflow-guard audit --help".\n`,
    );
  });
});
