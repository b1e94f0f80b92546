import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The fenced blocks of the project's Markdown (README.md and docs/*.md) that a test runs, so no
 * command a person copies from them drifts. The info string marks them:
 *
 *   ```sh test                   run alone, in the clone, after `source scripts/pulumi-env.sh`; exit 0
 *   ```sh test exit=1            the same, expecting exit code 1 (an audit that finds something)
 *   ```sh test session=NAME      every block of that session, in order, as ONE shell script started
 *                                in the clone with nothing set up beyond what the blocks themselves do
 *                                (a new user's terminal); variables and `cd` carry from block to block
 *   ```ts test session=NAME file=index.ts
 *                                a file the reader saves: written where the session's shell is then
 *
 * Shell blocks (sh, bash, shell, console) that are not marked are refused: a command that cannot run
 * here is written in the language it is for (```powershell for Exchange cmdlets) or as ```text.
 */
export interface DocBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly test: boolean;
  readonly session?: string;
  readonly exit: number;
  /** For file blocks: the name the reader saves it as. */
  readonly saveAs?: string;
  readonly body: string;
}

export const SHELL_LANGS = new Set(["sh", "bash", "shell", "console", "zsh"]);

/** The Markdown files whose blocks are checked: README.md, then docs/*.md by name. */
export function docFiles(root: string): string[] {
  const docs = (() => {
    try {
      return readdirSync(join(root, "docs"))
        .filter((name) => name.endsWith(".md"))
        .sort()
        .map((name) => join("docs", name));
    } catch {
      return [];
    }
  })();
  return ["README.md", ...docs];
}

/** Every fenced block of a Markdown text, with its info string read. */
export function parseBlocks(file: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[1] as string;
    const words = (open[3] as string).split(/\s+/).filter(Boolean);
    const attribute = (key: string) => words.find((word) => word.startsWith(`${key}=`))?.slice(key.length + 1);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] as string).startsWith(fence)) body.push(lines[j++] as string);
    const session = attribute("session");
    const saveAs = attribute("file");
    blocks.push({
      file,
      line: i + 1,
      lang: open[2] as string,
      test: words.includes("test"),
      ...(session !== undefined ? { session } : {}),
      exit: Number(attribute("exit") ?? 0),
      ...(saveAs !== undefined ? { saveAs } : {}),
      body: body.length > 0 ? `${body.join("\n")}\n` : "",
    });
    i = j;
  }
  return blocks;
}

export function allBlocks(root: string): DocBlock[] {
  return docFiles(root).flatMap((file) => parseBlocks(file, readFileSync(join(root, file), "utf8")));
}

/** A session's blocks as one bash script: shell blocks as written, file blocks as here-documents. */
export function sessionScript(blocks: readonly DocBlock[]): string {
  const parts = ["set -euo pipefail"];
  for (const block of blocks) {
    parts.push(`printf '\\n### %s\\n' ${JSON.stringify(`${block.file}:${block.line}`)} >&2`);
    if (block.saveAs !== undefined) {
      const marker = "MAILFLOW_GUARD_DOCS_EOF";
      if (block.body.includes(marker)) throw new Error(`${block.file}:${block.line}: the block contains ${marker}`);
      parts.push(`cat > ${JSON.stringify(block.saveAs)} <<'${marker}'\n${block.body}${marker}`);
    } else parts.push(block.body);
  }
  return `${parts.join("\n")}\n`;
}
