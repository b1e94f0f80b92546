#!/usr/bin/env node
/**
 * CLI entry for Local Exchange Online — a local stand-in for Exchange Online, not Microsoft's
 * service.
 *
 *   mailflow-guard-local-exo --port 0 --state <file> --seed <json file> [--ready-file <path>]
 *
 * Prints `LOCAL_EXO_URL=http://127.0.0.1:<port>` on stdout once listening (and writes the URL
 * to --ready-file), logs to stderr, and shuts down cleanly on SIGTERM/SIGINT.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type LocalExchangeOnline, loadSeedFile, STAND_IN_NOTICE, startLocalExchangeOnline } from "./server";

const USAGE = `Usage: mailflow-guard-local-exo [--port <n>] [--state <file>] [--seed <json file>] [--ready-file <path>] [--page-size <n>] [--token <expected bearer token>]

Local Exchange Online: ${STAND_IN_NOTICE}.
  --port        TCP port on 127.0.0.1 (default 0: pick a free port)
  --state       JSON file the state is persisted to and reloaded from
  --seed        JSON file {"tenants":{"contoso.onmicrosoft.com":{"acceptedDomains":["contoso.com"]}}}
  --ready-file  write the URL here once listening (removed on shutdown)
  --page-size   results per page before @odata.nextLink (default 100)
  --token       accept only this bearer token (or set MFG_LOCAL_EXO_TOKEN); default: any non-empty token`;

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

  const server: LocalExchangeOnline = await startLocalExchangeOnline({
    port,
    tenants: seed.tenants,
    statePath: values.state ? path.resolve(values.state) : undefined,
    expectedToken,
    pageSize,
  });

  const readyFile = values["ready-file"] ? path.resolve(values["ready-file"]) : undefined;
  if (readyFile) {
    const temp = `${readyFile}.${process.pid}.${randomUUID()}.tmp`;
    fs.writeFileSync(temp, `${server.url}\n`);
    fs.renameSync(temp, readyFile);
  }
  process.stdout.write(`LOCAL_EXO_URL=${server.url}\n`);

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
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`local-exchange-online: ${(err as Error).message}\n`);
  process.exitCode = 2;
});
