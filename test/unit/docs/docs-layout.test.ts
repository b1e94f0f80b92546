import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

/**
 * Issue 18: the README was 64 KB with table cells over 500 characters wide, unreadable on GitHub
 * and in a terminal. The README stays a front page; no table cell of README or docs/ is wider than
 * a screen line.
 */
const ROOT = join(__dirname, "..", "..", "..", "..");
const README_MAX_BYTES = 20 * 1024;
const CELL_MAX = 110;

function wideCells(file: string, text = readFileSync(join(ROOT, file), "utf8")): string[] {
  const lines = text.split("\n");
  const wide: string[] = [];
  let fenced = false;
  lines.forEach((line, i) => {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced || !line.startsWith("|")) return;
    for (const cell of line.slice(1, line.lastIndexOf("|")).split("|")) {
      const text = cell.trim();
      if (text.length > CELL_MAX) wide.push(`${file}:${i + 1}: a cell of ${text.length} characters: ${text.slice(0, 40)}…`);
    }
  });
  return wide;
}

describe("README and docs fit a screen", () => {
  it(`keeps the README under ${README_MAX_BYTES / 1024} KB`, () => {
    const size = readFileSync(join(ROOT, "README.md")).length;
    assert.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes; move reference material into docs/`);
  });

  it(`has no table cell wider than ${CELL_MAX} characters in README.md or docs/`, () => {
    const files = [
      "README.md",
      ...readdirSync(join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    assert.ok(files.length > 5, files.join(", "));
    assert.deepEqual(
      files.flatMap((file) => wideCells(file)),
      [],
    );
  });

  it("finds a wide cell in a table, and not in a code block", () => {
    const cell = "x".repeat(CELL_MAX + 1);
    const text = ["| a | b |", "| - | - |", `| a | ${cell} |`, "```text", `| ${cell} |`, "```"].join("\n");
    assert.deepEqual(wideCells("t.md", text), [`t.md:3: a cell of ${CELL_MAX + 1} characters: ${"x".repeat(40)}…`]);
  });
});
