import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBlocks, sessionScript } from "../../support/docs-blocks";

const MARKDOWN = [
  "# Title",
  "```sh test",
  "npx mailflow-guard --help",
  "```",
  "```sh test exit=1",
  "npx mailflow-guard audit x",
  "```",
  "```sh",
  "not marked",
  "```",
  "```ts test session=own file=index.ts",
  'console.log("hi");',
  "```",
  "```sh test session=own",
  "node index.ts",
  "```",
].join("\n");

describe("the docs' block extractor", () => {
  it("reads the language, the test mark, exit=, session= and file= of every fenced block, with its line", () => {
    const blocks = parseBlocks("README.md", MARKDOWN);
    assert.deepEqual(
      blocks.map((b) => [b.line, b.lang, b.test, b.exit, b.session ?? null, b.saveAs ?? null, b.body]),
      [
        [2, "sh", true, 0, null, null, "npx mailflow-guard --help\n"],
        [5, "sh", true, 1, null, null, "npx mailflow-guard audit x\n"],
        [8, "sh", false, 0, null, null, "not marked\n"],
        [11, "ts", true, 0, "own", "index.ts", 'console.log("hi");\n'],
        [14, "sh", true, 0, "own", null, "node index.ts\n"],
      ],
    );
  });

  it("writes a session as one script: file blocks as here-documents where the shell is, shell blocks as written", () => {
    const session = parseBlocks("README.md", MARKDOWN).filter((b) => b.session === "own");
    assert.equal(
      sessionScript(session),
      `set -euo pipefail\nprintf '\\n### %s\\n' "README.md:11" >&2\ncat > "index.ts" <<'MAILFLOW_GUARD_DOCS_EOF'\nconsole.log("hi");\nMAILFLOW_GUARD_DOCS_EOF\nprintf '\\n### %s\\n' "README.md:14" >&2\nnode index.ts\n\n`,
    );
  });
});
