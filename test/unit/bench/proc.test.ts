import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "../../../bench/proc";

/** A process is gone once /proc no longer lists it, or lists it as a zombie waiting for its reaper. */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

describe("bench process runner", () => {
  it("kills what a crashed run leaves behind, even a process that left the run's process group", async () => {
    // The shape of the CLI crash: the parent exits non-zero, its child goes on in its own session.
    const script = `const c = require("node:child_process").spawn("sleep", ["120"], { detached: true, stdio: "ignore" });
      console.log(c.pid); c.unref(); process.exit(2);`;
    const result = await run(process.execPath, ["-e", script]);
    const orphan = Number(result.stdout.trim());
    assert.equal(result.code, 2);
    assert.ok(orphan > 0, result.stdout);
    for (let i = 0; i < 50 && alive(orphan); i++) await sleep(20);
    assert.equal(alive(orphan), false, `process ${orphan} was left running`);
  });

  it("leaves processes of other runs alone", async () => {
    const other = await run("sh", ["-c", "echo $$; exit 0"]);
    assert.equal(other.code, 0);
    const bystander = await import("node:child_process").then(({ spawn }) => spawn("sleep", ["5"], { stdio: "ignore" }));
    await run("true", []);
    assert.equal(alive(bystander.pid as number), true);
    bystander.kill("SIGKILL");
  });
});
