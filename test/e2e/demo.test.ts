import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT } from "./harness";

/**
 * The README's `npm run demo` is scripts/setup.sh, which `npm test` has just run, then
 * `node dist/demo/run.js`: that second half runs here, all five acts, as the README's user sees it.
 * Port 18710 is held meanwhile: the demo's Local Exchange Online had that fixed port and collided
 * with a user's own stand-in (issue 18: "demo: Local Exchange Online did not start (exit 2); is port
 * 18710 in use?").
 */
const HELD_PORT = 18710;
const TIMEOUT_MS = 20 * 60_000;

function holdPort(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    // Held by something else already: held all the same.
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "demo", "run.js")], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("the demo (npm run demo after set-up)", () => {
  let held: Server | undefined;
  before(async () => {
    held = await holdPort(HELD_PORT);
  });
  after(() => held?.close());

  it("runs its five acts with port 18710 taken", { timeout: TIMEOUT_MS + 60_000 }, async () => {
    const { code, output } = await runDemo();
    const tail = output.split("\n").slice(-60).join("\n");
    assert.equal(code, 0, tail);
    assert.match(output, /-> blocked by the policy pack \(pulumi exited [1-9]\d*\); nothing was created\./);
    const ports = [...output.matchAll(/Local Exchange Online listens on http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    assert.equal(ports.length, 1, tail);
    assert.notEqual(ports[0], HELD_PORT);
    assert.match(output, /-> 13 resources in the stack, as expected\./);
    assert.match(output, /-> audit exited 1: the defects MC1226222 warns about\./);
    assert.match(output, /\nDemo complete\. State is in \.mailflow-guard\/demo; run it again to start over\.\n/);
    assert.doesNotMatch(output, /This is a bug|^\s+at .+:\d+:\d+\)?$/m);
  });
});
