import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";

/**
 * A throw-away copy of a Pulumi project folder at `copy`, running the repository's compiled
 * program `main` (a path under `root`), so that stack config files (and their encryption salt) land
 * there, not in the checkout. The copy's package.json names the program, so a `main:` of the
 * original Pulumi.yaml (a path relative to it) goes; the rest of Pulumi.yaml stays as it is.
 */
export function copyProject(root: string, source: string, copy: string, main: string): string {
  mkdirSync(copy, { recursive: true });
  writeFileSync(join(copy, "Pulumi.yaml"), readFileSync(join(source, "Pulumi.yaml"), "utf8").replace(/^main:.*\n/m, ""));
  writeFileSync(
    join(copy, "package.json"),
    JSON.stringify({ name: basename(source), private: true, main: relative(copy, join(root, main)) }),
  );
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
  return copy;
}
