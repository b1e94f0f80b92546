import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The Pulumi project folder (where Pulumi.yaml is), searched upwards from `start`. Relative paths
 * in a project's config mean this folder, also when Pulumi.yaml's `main` runs the program (and
 * its providers) from a subfolder such as dist/program. Falls back to `start`.
 */
export function projectDirectory(start: string = process.cwd()): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml")) || existsSync(join(dir, "Pulumi.yml"))) return dir;
    if (dirname(dir) === dir) return start;
  }
}
