/**
 * Runs a generated Exchange Management Shell script through a configurable command (local
 * `pwsh`, Windows PowerShell with the Exchange snap-in, a remoting wrapper, or a stand-in in
 * tests). The script goes to the command's stdin — never onto its command line — and the last
 * JSON line of stdout is the result.
 */

import { spawn } from "node:child_process";
import { projectDirectory } from "../project-directory";

export const DEFAULT_POWERSHELL_COMMAND: readonly string[] = ["pwsh", "-NoProfile", "-NonInteractive", "-Command", "-"];

const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;
const TAIL_CHARACTERS = 2000;

export interface RunPowerShellOptions {
  /** argv of the shell; the script is written to its stdin. Default: pwsh reading stdin. */
  command?: readonly string[];
  /** Kill the process and fail after this long (default 300 000 ms). */
  timeoutMs?: number;
  /** Environment for the process (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Working directory of the process (default: the Pulumi project folder, so relative paths in the command mean it). */
  cwd?: string;
}

export interface PowerShellResult<T = unknown> {
  /** The last line of stdout that parses as JSON. */
  json: T;
  stdout: string;
  stderr: string;
}

export class PowerShellError extends Error {
  override readonly name = "PowerShellError";

  constructor(
    message: string,
    /** Exit code, or null when killed by a signal or never started. */
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    // The message says it all; a person reading a failed `up` or `destroy` needs no stack frames.
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * What a failed shell printed, as one line: a script's own error lines, without the stack frames,
 * caret lines and version banner a crashing Node.js stand-in adds, each line once. A stand-in file
 * that does not exist is said so, with the argument to fix.
 */
export function shellErrorSummary(text: string): string {
  const missing = /Error: Cannot find module '([^']+)'/.exec(text)?.[1];
  if (missing !== undefined) return `${missing} does not exist; check the file named in onPremises.shell`;
  const kept: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || /^at\s/.test(line) || /^node:internal\//.test(line) || /^\^+$/.test(line) || /^Node\.js v\d/.test(line)) continue;
    if (line === "throw err;" || line === "{" || line === "}" || kept.includes(line)) continue;
    kept.push(line);
  }
  return tail(kept.join(" "));
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > TAIL_CHARACTERS ? `…${trimmed.slice(-TAIL_CHARACTERS)}` : trimmed;
}

/** The last non-empty stdout line that parses as JSON, or undefined. */
export function lastJsonLine(stdout: string): { value: unknown } | undefined {
  const lines = stdout.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] as string).trim();
    if (line === "" || !/^[[{"]|^(?:true|false|null|-?\d)/.test(line)) continue;
    try {
      return { value: JSON.parse(line) };
    } catch {
      // Not JSON (e.g. a warning line); keep looking upwards.
    }
  }
  return undefined;
}

/** Spawns the command, pipes the script to stdin, and resolves with the last JSON line of stdout. */
export function runPowerShell<T = unknown>(script: string, options: RunPowerShellOptions = {}): Promise<PowerShellResult<T>> {
  const command = options.command ?? DEFAULT_POWERSHELL_COMMAND;
  const [file, ...args] = command;
  if (file === undefined || file === "") {
    return Promise.reject(new PowerShellError("runPowerShell: 'command' must not be empty.", null, null, "", ""));
  }
  const timeoutMs = options.timeoutMs ?? 300_000;
  const label = `PowerShell command "${file}"`;

  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      // Relative paths in the command mean the project folder, wherever the provider runs from.
      cwd: options.cwd ?? projectDirectory(),
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let timedOut = false;
    let settled = false;

    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    const collected = () => ({
      out: Buffer.concat(stdout).toString("utf8"),
      err: Buffer.concat(stderr).toString("utf8"),
    });

    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);

    child.stdout.on("data", (chunk: Buffer) => {
      if (stdoutBytes < MAX_CAPTURE_BYTES) stdout.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderrBytes < MAX_CAPTURE_BYTES) stderr.push(chunk);
      stderrBytes += chunk.length;
    });
    // The shell may exit before reading all of stdin; the exit code tells what happened.
    child.stdin.on("error", () => {});

    child.on("error", (err) => {
      settle(() => {
        const { out, err: errText } = collected();
        const fix =
          (err as NodeJS.ErrnoException).code === "ENOENT" ? ` (no such program; check onPremises.shell: ${JSON.stringify(command)})` : "";
        reject(new PowerShellError(`${label} could not be started: ${err.message}${fix}`, null, null, out, errText));
      });
    });

    child.on("close", (code, signal) => {
      settle(() => {
        const { out, err } = collected();
        if (timedOut) {
          reject(
            new PowerShellError(
              `${label} timed out after ${timeoutMs} ms and was killed.${err.trim() ? ` stderr: ${tail(err)}` : ""}`,
              code,
              signal,
              out,
              err,
            ),
          );
          return;
        }
        if (code !== 0) {
          const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
          const detail = err.trim()
            ? `: ${shellErrorSummary(err)}`
            : out.trim()
              ? `; stdout: ${shellErrorSummary(out)}`
              : " with no output";
          reject(new PowerShellError(`${label} ${how}${detail}`, code, signal, out, err));
          return;
        }
        const json = lastJsonLine(out);
        if (!json) {
          reject(
            new PowerShellError(
              `${label} succeeded but printed no JSON result${out.trim() ? `; stdout: ${tail(out)}` : ""}${err.trim() ? `; stderr: ${tail(err)}` : ""}`,
              code,
              signal,
              out,
              err,
            ),
          );
          return;
        }
        resolve({ json: json.value as T, stdout: out, stderr: err });
      });
    });

    child.stdin.end(script, "utf8");
  });
}
