import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import {
  generatedTenant,
  type LocalExchangeOnline,
  type LocalExchangeOnlineOptions,
  standInTenantName,
  startLocalExchangeOnline,
} from "../../../local-exchange-online/server";

const MAIN_JS = path.resolve(__dirname, "../../../local-exchange-online/main.js");
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function withServer(options: LocalExchangeOnlineOptions, body: (server: LocalExchangeOnline) => Promise<void>): Promise<void> {
  const server = await startLocalExchangeOnline({ log: () => {}, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function get(server: LocalExchangeOnline, tenant: string, cmdlet: string) {
  const response = await fetch(`${server.url}/adminapi/beta/${tenant}/InvokeCommand`, {
    method: "POST",
    headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: {} } }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON inspected ad hoc by the assertions
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as any };
}

describe("Local Exchange Online at scale: generated tenants", () => {
  test("hosts N generated tenants, each with its accepted domains and one OnPremises connector", async () => {
    await withServer({ generatedTenants: 20 }, async (server) => {
      assert.deepEqual(Object.keys(server.state().tenants).length, 20);
      const domains = await get(server, standInTenantName(20), "Get-AcceptedDomain");
      assert.deepEqual(
        domains.body.value.map((d: { DomainName: string; InitialDomain: boolean }) => [d.DomainName, d.InitialDomain]),
        [
          ["t00020.onmicrosoft.com", true],
          ["t00020.example", false],
        ],
      );
      const connector = async (i: number) => (await get(server, standInTenantName(i), "Get-InboundConnector")).body.value[0];
      const healthy = await connector(1);
      assert.deepEqual(
        { type: healthy.ConnectorType, name: healthy.TlsSenderCertificateName, ips: healthy.SenderIPAddresses },
        { type: "OnPremises", name: "t00001.example", ips: [] },
      );
      assert.equal((await connector(10)).TlsSenderCertificateName, "relay.t00010.example", "every 10th: not an accepted domain");
      const ipOnly = await connector(14);
      assert.deepEqual({ name: ipOnly.TlsSenderCertificateName, ips: ipOnly.SenderIPAddresses }, { name: null, ips: ["198.51.100.3"] });
    });
  });

  test("generates the same tenant the same way every time", () => {
    assert.deepEqual(generatedTenant(70), generatedTenant(70));
    assert.equal(generatedTenant(70).connector.TlsSenderCertificateName, "relay.t00070.example", "a 10th wins over a 7th");
    assert.equal(standInTenantName(123456), "t123456.onmicrosoft.com");
  });
});

describe("Local Exchange Online at scale: latency and throttling", () => {
  test("answers 429 with Retry-After to every Nth, an even share, and a burst of requests, counting retries", async () => {
    const statuses = async (options: LocalExchangeOnlineOptions, n: number) => {
      const seen: string[] = [];
      await withServer({ generatedTenants: 1, ...options }, async (server) => {
        for (let i = 0; i < n; i++) {
          const reply = await get(server, standInTenantName(1), "Get-AcceptedDomain");
          seen.push(reply.status === 429 ? `429 after ${reply.retryAfter}` : String(reply.status));
        }
        assert.equal(server.throttledRequests, seen.filter((s) => s.startsWith("429")).length);
      });
      return seen;
    };
    assert.deepEqual(await statuses({ throttle: { every: 3, retryAfterSeconds: 2 } }, 7), [
      "200",
      "200",
      "429 after 2",
      "200",
      "200",
      "429 after 2",
      "200",
    ]);
    const tenth = await statuses({ throttle: { fraction: 0.1 } }, 30);
    assert.deepEqual(
      tenth.flatMap((s, i) => (s === "200" ? [] : [`${i + 1}: ${s}`])),
      ["10: 429 after 1", "20: 429 after 1", "30: 429 after 1"],
    );
    const burst = await statuses({ throttle: { burst: { from: 2, count: 3 }, retryAfterSeconds: 0 } }, 6);
    assert.deepEqual(burst, ["200", "429 after 0", "429 after 0", "429 after 0", "200", "200"]);
  });

  test("a throttled answer reads like Exchange Online's: TooManyRequests with the wait in the message", async () => {
    await withServer({ generatedTenants: 1, throttle: { every: 1, retryAfterSeconds: 5 } }, async (server) => {
      const reply = await get(server, standInTenantName(1), "Get-InboundConnector");
      assert.deepEqual(reply.body, {
        error: { code: "TooManyRequests", message: "The request was throttled (--throttle). Retry after 5 seconds.", details: [] },
      });
    });
  });

  test("holds every answer for --latency-ms", async () => {
    await withServer({ generatedTenants: 1, latencyMs: 120 }, async (server) => {
      const started = performance.now();
      assert.equal((await get(server, standInTenantName(1), "Get-AcceptedDomain")).status, 200);
      assert.ok(performance.now() - started >= 115, "the answer came before the latency had passed");
    });
  });

  test("refuses knobs out of range with the option and the value", async () => {
    await assert.rejects(startLocalExchangeOnline({ log: () => {}, throttle: { fraction: 1.5 } }), {
      message: "throttle.fraction must be from 0 to 1, got 1.5.",
    });
    await assert.rejects(startLocalExchangeOnline({ log: () => {}, latencyMs: -1 }), {
      message: "latencyMs must be a non-negative integer, got -1.",
    });
  });
});

describe("Local Exchange Online at scale: main.js", () => {
  async function runMain(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; url?: string }> {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    const url = await new Promise<string | undefined>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk;
        const match = /^LOCAL_EXO_URL=(\S+)$/m.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.on("close", () => resolve(undefined));
    });
    if (url !== undefined) child.kill("SIGTERM");
    return { code: await closed, stdout, stderr, ...(url ? { url } : {}) };
  }

  test("--tenants with --write-tenants writes the list audit --live-tenants reads, named as the stand-in's", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mfg-lexo-scale-"));
    dirs.push(dir);
    const file = path.join(dir, "tenants.txt");
    const { code, url } = await runMain(["--tenants", "3", "--write-tenants", file, "--latency-ms", "1", "--throttle-burst", "5:2"]);
    assert.equal(code, 0);
    assert.match(url ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(
      fs.readFileSync(file, "utf8"),
      "# 3 generated tenants of Local Exchange Online (local stand-in for Exchange Online, not Microsoft's service)\nt00001.onmicrosoft.com\nt00002.onmicrosoft.com\nt00003.onmicrosoft.com\n",
    );
  });

  test("bad knobs exit 2 with one line naming the option, the value and the form expected", async () => {
    for (const [args, message] of [
      [["--throttle-burst", "500"], '--throttle-burst must be <from>:<count> with from >= 1, such as 500:200, got "500".'],
      [["--throttle-fraction", "10%"], '--throttle-fraction must be a number from 0 to 1 such as 0.1, got "10%".'],
      [["--latency-ms", "fast"], '--latency-ms must be a non-negative integer, got "fast".'],
      [["--write-tenants", "x.txt"], "--write-tenants needs --tenants <n>."],
    ] as const) {
      const { code, stderr } = await runMain([...args]);
      assert.equal(code, 2);
      assert.equal(stderr, `local-exchange-online: ${message}\n`);
    }
  });
});
