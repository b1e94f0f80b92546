import { writeFileSync } from "node:fs";

/**
 * Loaded with `node --require` in front of the audit CLI when /usr/bin/time is not installed: on
 * exit it writes the process's peak RSS (KiB, process.resourceUsage().maxRSS) to $MFG_BENCH_RSS_FILE.
 */
const file = process.env.MFG_BENCH_RSS_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
