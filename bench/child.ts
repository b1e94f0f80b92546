// As the CLI does (cli/main.ts): compiled code kept on disk, before the engine's modules load.
import { enableCompileCache } from "node:module";

enableCompileCache?.();

import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { evaluate, parseInventory } from "../policy/src/engine";
import { CROSS_TENANT_RULES, engineKeys } from "./findings";

/**
 * One measurement in a fresh process (so memory and JIT state are those of one CLI run or one
 * policy-pack run): read the inventory file, JSON.parse + parseInventory (the floor), evaluate.
 * Usage: node child.js <inventory.json> <all|cross> [keys-out.json]
 * Prints one JSON line with the timings and memory.
 */
const NOW = new Date("2026-06-01T00:00:00Z");

function main(): void {
  const [file, mode = "all", keysOut] = process.argv.slice(2);
  if (!file) throw new Error("usage: child.js <inventory.json> <all|cross> [keys-out.json]");
  const t0 = performance.now();
  const text = readFileSync(file, "utf8");
  const t1 = performance.now();
  const raw = JSON.parse(text) as unknown;
  const inventory = parseInventory(raw, file);
  const t2 = performance.now();
  const heapBefore = process.memoryUsage().heapUsed;
  const findings = evaluate(inventory, { now: NOW }, mode === "cross" ? { only: [...CROSS_TENANT_RULES] } : {});
  const t3 = performance.now();
  const heapAfter = process.memoryUsage().heapUsed;
  if (keysOut) writeFileSync(keysOut, JSON.stringify(engineKeys(findings)));
  const byRule: Record<string, number> = {};
  for (const f of findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  process.stdout.write(
    `${JSON.stringify({
      readMs: t1 - t0,
      floorMs: t2 - t1,
      engineMs: t3 - t2,
      findings: findings.length,
      byRule,
      heapBeforeEngineMiB: heapBefore / 2 ** 20,
      heapAfterEngineMiB: heapAfter / 2 ** 20,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      sinceStartMs: performance.now(),
    })}\n`,
  );
}

main();
