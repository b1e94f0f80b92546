#!/usr/bin/env node
/**
 * CLI entry for Local Exchange Online — a local stand-in for Exchange Online, not Microsoft's
 * service.
 *
 *   node dist/local-exchange-online/main.js --port 0 --state <file> --seed <json file> [--ready-file <path>]
 *   mailflow-guard-local-exo --tenants 1000 --latency-ms 150 --throttle-fraction 0.1 --write-tenants tenants.txt
 *
 * Prints `LOCAL_EXO_URL=http://127.0.0.1:<port>` on stdout once listening (and writes the URL
 * to --ready-file), logs to stderr, and shuts down cleanly on SIGTERM/SIGINT.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
  type LocalExchangeOnline,
  loadSeedFile,
  STAND_IN_NOTICE,
  standInTenantName,
  startLocalExchangeOnline,
  type ThrottleSpec,
} from "./server";

const USAGE = `Usage: mailflow-guard-local-exo [--port <n>] [--state <file>] [--seed <json file>] [--tenants <n>] [--write-tenants <file>]
                                [--latency-ms <ms>] [--throttle-every <n>] [--throttle-fraction <f>] [--throttle-burst <from>:<count>]
                                [--retry-after <s>] [--ready-file <path>] [--page-size <n>] [--token <expected bearer token>]

Local Exchange Online: ${STAND_IN_NOTICE}.
  --port        TCP port on 127.0.0.1 (default 0: pick a free port)
  --state       JSON file the state is persisted to and reloaded from
  --seed        JSON file {"tenants":{"contoso.onmicrosoft.com":{"acceptedDomains":["contoso.com"]}}}
  --ready-file  write the URL here once listening (removed on shutdown)
  --page-size   results per page before @odata.nextLink (default 100)
  --token       accept only this bearer token (or set MFG_LOCAL_EXO_TOKEN); default: any non-empty token

Scale and pace (to measure a live audit of many tenants; the figures are the stand-in's, not Microsoft's):
  --tenants N            add N generated stand-in tenants t00001.onmicrosoft.com ... (one OnPremises inbound
                         connector each; every 10th with a certificate name that is not an accepted domain,
                         every 7th authenticated by IP only)
  --write-tenants FILE   write the generated tenants' names there, one per line (for audit --live-tenants)
  --latency-ms MS        answer every InvokeCommand request after MS milliseconds (default 0), concurrently
  --throttle-every N     answer every Nth request 429 Too Many Requests with Retry-After
  --throttle-fraction F  answer this share of the requests (0-1) 429, spread evenly (0.1: the 10th, 20th, ...)
  --throttle-burst A:B   answer B requests in a row 429, from request number A
  --retry-after S        the Retry-After of those 429s, in seconds (default 1)
  Requests are counted in the order they arrive, retries included.`;

function parsePositiveInt(flag: string, value: string, allowZero: boolean): number {
  if (!/^\d{1,9}$/.test(value) || (!allowZero && Number(value) === 0)) {
    throw new Error(`--${flag} must be ${allowZero ? "a non-negative" : "a positive"} integer, got "${value}".`);
  }
  return Number(value);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "0" },
      state: { type: "string" },
      seed: { type: "string" },
      "ready-file": { type: "string" },
      "page-size": { type: "string" },
      token: { type: "string" },
      tenants: { type: "string" },
      "write-tenants": { type: "string" },
      "latency-ms": { type: "string" },
      "throttle-every": { type: "string" },
      "throttle-fraction": { type: "string" },
      "throttle-burst": { type: "string" },
      "retry-after": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = parsePositiveInt("port", values.port, true);
  if (port > 65535) throw new Error(`--port must be at most 65535, got ${port}.`);
  const pageSize = values["page-size"] === undefined ? undefined : parsePositiveInt("page-size", values["page-size"], false);
  const seed = values.seed ? loadSeedFile(values.seed) : { tenants: {} };
  const expectedToken = values.token ?? (process.env.MFG_LOCAL_EXO_TOKEN || undefined);
  const optional = (flag: string, value: string | undefined, allowZero: boolean) =>
    value === undefined ? undefined : parsePositiveInt(flag, value, allowZero);
  const generatedTenants = optional("tenants", values.tenants, true);
  const latencyMs = optional("latency-ms", values["latency-ms"], true);
  const throttle: ThrottleSpec = {};
  const every = optional("throttle-every", values["throttle-every"], false);
  if (every !== undefined) throttle.every = every;
  if (values["throttle-fraction"] !== undefined) {
    const fraction = values["throttle-fraction"];
    if (!/^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/.test(fraction)) {
      throw new Error(`--throttle-fraction must be a number from 0 to 1 such as 0.1, got "${fraction}".`);
    }
    throttle.fraction = Number(fraction);
  }
  if (values["throttle-burst"] !== undefined) {
    const burst = /^(\d{1,9}):(\d{1,9})$/.exec(values["throttle-burst"]);
    if (!burst || Number(burst[1]) < 1) {
      throw new Error(`--throttle-burst must be <from>:<count> with from >= 1, such as 500:200, got "${values["throttle-burst"]}".`);
    }
    throttle.burst = { from: Number(burst[1]), count: Number(burst[2]) };
  }
  const retryAfter = optional("retry-after", values["retry-after"], true);
  if (retryAfter !== undefined) throttle.retryAfterSeconds = retryAfter;
  if (values["write-tenants"] !== undefined && !generatedTenants) throw new Error("--write-tenants needs --tenants <n>.");

  const server: LocalExchangeOnline = await startLocalExchangeOnline({
    port,
    tenants: seed.tenants,
    statePath: values.state ? path.resolve(values.state) : undefined,
    expectedToken,
    pageSize,
    ...(generatedTenants ? { generatedTenants } : {}),
    ...(latencyMs ? { latencyMs } : {}),
    ...(Object.keys(throttle).length > 0 ? { throttle } : {}),
  });
  if (values["write-tenants"] && generatedTenants) {
    const names = Array.from({ length: generatedTenants }, (_, i) => standInTenantName(i + 1));
    fs.writeFileSync(
      path.resolve(values["write-tenants"]),
      `# ${generatedTenants} generated tenants of Local Exchange Online (${STAND_IN_NOTICE})\n${names.join("\n")}\n`,
    );
  }

  const readyFile = values["ready-file"] ? path.resolve(values["ready-file"]) : undefined;
  // Listen for the stop signal before saying where the server is: whoever reads the URL may stop it at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`Local Exchange Online: ${signal} received, shutting down\n`);
    server
      .close()
      .catch((err: unknown) => {
        process.stderr.write(`Local Exchange Online: error while closing: ${(err as Error).message}\n`);
        process.exitCode = 1;
      })
      .finally(() => {
        if (readyFile) fs.rmSync(readyFile, { force: true });
      });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  if (readyFile) {
    const temp = `${readyFile}.${process.pid}.${randomUUID()}.tmp`;
    fs.writeFileSync(temp, `${server.url}\n`);
    fs.renameSync(temp, readyFile);
  }
  process.stdout.write(`LOCAL_EXO_URL=${server.url}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`local-exchange-online: ${(err as Error).message}\n`);
  process.exitCode = 2;
});
