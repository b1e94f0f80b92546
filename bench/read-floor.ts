import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The start-up row's floor: the least a Node.js process can do with an export folder, which is to
 * read every file and JSON.parse it. No validation, no rules, no report. Run as a process of its own
 * (`node dist/bench/read-floor.js <folder>`); prints how many files it parsed.
 */
function parseAll(dir: string): number {
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files += parseAll(path);
    else {
      JSON.parse(readFileSync(path, "utf8").replace(/^\uFEFF/, ""));
      files++;
    }
  }
  return files;
}

const folder = process.argv[2];
if (folder === undefined) {
  process.stderr.write("usage: node dist/bench/read-floor.js <export folder>\n");
  process.exitCode = 2;
} else process.stdout.write(`${parseAll(folder)} files parsed\n`);
