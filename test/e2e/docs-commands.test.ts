import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, describe, it } from "node:test";
import { allBlocks, type DocBlock, SHELL_LANGS, sessionScript } from "../support/docs-blocks";
import { ROOT } from "./harness";

/**
 * Every command in README.md and docs/*.md runs here, as written (test/support/docs-blocks.ts says
 * how blocks are marked). A session is a new user's terminal: it starts in the clone with nothing
 * of this test run's environment (no Pulumi settings, no project node or pulumi on PATH), and its
 * blocks make their own folder outside the checkout.
 */
const blocks = allBlocks(ROOT);
const where = (block: DocBlock) => `${block.file}:${block.line}`;
const TIMEOUT_MS = 15 * 60_000;
const scratch = mkdtempSync(join(tmpdir(), "mfg-docs-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment of a terminal that has not sourced scripts/pulumi-env.sh. */
function freshTerminal(): NodeJS.ProcessEnv {
  const cache = process.env.MFG_CACHE;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(PULUMI_|MAILFLOW_GUARD_|MFG_)/.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !(cache && dir.startsWith(cache)))
    .join(delimiter);
  return { ...env, TMPDIR: scratch, NO_COLOR: "1" };
}

/**
 * Issue 18: the preview ran the clone's pack (and said only "local: …/scripts/policy-pack-adapter"),
 * and pulumi-env.sh put the user's stack state inside the clone. The session's gate is the pack
 * installed in the user's folder, and its stack lives there.
 */
function ownProjectStayedOutside(output: string): void {
  // The CLI shortens the path of a local pack (/tmp/.../mailflow-guard-policy/run-pack).
  assert.match(output, /✅ mailflow-guard@v[\d.]+ \(local: [^)]*\/mailflow-guard-policy\/run-pack\)/, tail(output));
  assert.doesNotMatch(output, /policy-pack-adapter/);
  const stacks = readdirSync(scratch).filter((dir) =>
    existsSync(join(scratch, dir, ".pulumi-state", ".pulumi", "stacks", "my-mail-flow", "dev.json")),
  );
  assert.equal(stacks.length, 1, `the stack's state is not in the session's own folder (${readdirSync(scratch).join(", ")})`);
  assert.ok(!existsSync(join(ROOT, ".pulumi-state", ".pulumi", "stacks", "my-mail-flow")), "the user's stack state is in the clone");
}

function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Its own process group, so that whatever it leaves in the background is stopped with it.
    const child = spawn("bash", ["-c", script], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => process.kill(-(child.pid as number), "SIGKILL"), TIMEOUT_MS);
    // On exit, not on close: a process left in the background would hold the pipes open.
    child.on("exit", (code) => {
      clearTimeout(timer);
      try {
        process.kill(-(child.pid as number), "SIGTERM");
      } catch {
        // the group is gone already
      }
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, output });
      }, 200);
    });
  });
}

const tail = (text: string) => text.split("\n").slice(-60).join("\n");

describe("the commands in README.md and docs/", () => {
  it("marks every shell block for a test (a command that cannot run here is written as powershell or text)", () => {
    const unmarked = blocks.filter((block) => SHELL_LANGS.has(block.lang) && !block.test).map(where);
    assert.deepEqual(unmarked, []);
    const orphans = blocks.filter((block) => block.test && !SHELL_LANGS.has(block.lang) && block.saveAs === undefined).map(where);
    assert.deepEqual(orphans, [], "a non-shell block marked test must say file=<name> and belong to a session");
    const loose = blocks.filter((block) => block.saveAs !== undefined && block.session === undefined).map(where);
    assert.deepEqual(loose, [], "a file block belongs to a session");
  });

  for (const block of blocks.filter((b) => b.test && b.session === undefined)) {
    it(`runs ${where(block)} in the clone (exit ${block.exit})`, async () => {
      const { code, output } = await runScript(`set -euo pipefail\nsource scripts/pulumi-env.sh\n${block.body}`, {
        ...process.env,
        TMPDIR: scratch,
        NO_COLOR: "1",
      });
      assert.equal(code, block.exit, `${where(block)} exited ${code}:\n${tail(output)}`);
    });
  }

  const sessions = new Map<string, DocBlock[]>();
  for (const block of blocks.filter((b) => b.test && b.session !== undefined))
    sessions.set(block.session as string, [...(sessions.get(block.session as string) ?? []), block]);
  for (const [name, steps] of sessions) {
    it(`follows the session "${name}" (${steps.map(where).join(", ")}) from a new terminal`, async () => {
      const { code, output } = await runScript(sessionScript(steps), freshTerminal());
      assert.equal(code, 0, `session "${name}" exited ${code}:\n${tail(output)}`);
      if (name === "own-project") ownProjectStayedOutside(output);
    });
  }
});
