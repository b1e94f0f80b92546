import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The version of this package, which is also the version of its provider plugin
 * (`pulumi-resource-mailflow`): the resources ask the engine for exactly this plugin version.
 */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }
).version;
