// After tsc: the package's bins (package.json "bin") made executable, as npm does on install, so that
// `npx mailflow-guard` works in a clone too (tsc writes files without the executable bit).
const { chmodSync, statSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const { bin } = require(join(root, "package.json"));
for (const file of Object.values(bin)) {
  const path = join(root, file);
  chmodSync(path, statSync(path).mode | 0o111);
}
