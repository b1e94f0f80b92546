import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { nodeFs } from "../../../cli/exports/files";

/** The audit's file reads: whole files, at most one byte over the limit, whatever fstat says of the size. */
describe("nodeFs.readFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "mfg-export-fs-"));
  const file = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it("returns a file's bytes whole, empty and small files included", () => {
    for (const size of [0, 1, 4095, 4096, 70_000]) {
      const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) % 256));
      assert.deepEqual(nodeFs.readFile(file(`f${size}`, bytes), 1024 * 1024), bytes, `${size} bytes`);
    }
  });

  it("stops one byte past the limit, and returns a file at the limit whole", () => {
    const limit = 10_000;
    assert.equal(nodeFs.readFile(file("at", Buffer.alloc(limit, 1)), limit).length, limit);
    assert.equal(nodeFs.readFile(file("over", Buffer.alloc(limit * 3, 1)), limit).length, limit + 1);
  });

  it("reads a file fstat calls empty (a /proc file) to its end", () => {
    const read = nodeFs.readFile("/proc/self/mountinfo", 64 * 1024 * 1024).toString("utf8");
    assert.ok(read.length > 0, "nothing read");
    assert.equal(read, readFileSync("/proc/self/mountinfo", "utf8"));
  });

  it("refuses what is not a regular file", () => {
    assert.throws(() => nodeFs.readFile(dir, 100), { code: "ENOTREG" });
    assert.throws(() => nodeFs.readFile("/dev/null", 100), { code: "ENOTREG" });
  });
});
