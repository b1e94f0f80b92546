import { statSync } from "node:fs";
import { dirname } from "node:path";
import { UsageError } from "./errors";

function kind(path: string): "file" | "folder" | "missing" {
  try {
    return statSync(path).isDirectory() ? "folder" : "file";
  } catch {
    return "missing";
  }
}

/**
 * Checks --output before any input is read, so that a report is never computed only to be lost:
 * a file's folder must exist, and the file must not be a folder.
 */
export function checkOutputFile(shown: string, path: string): void {
  if (kind(path) === "folder") throw new UsageError(`--output ${shown}: is a folder; give a file name, e.g. ${shown}/report.json`);
  const parent = dirname(path);
  if (kind(parent) === "missing")
    throw new UsageError(
      `--output ${shown}: folder ${parent} does not exist; create it (mkdir -p ${parent}) or write the report elsewhere`,
    );
  if (kind(parent) === "file") throw new UsageError(`--output ${shown}: ${parent} is a file, not a folder; write the report elsewhere`);
}

/** Checks a folder --output (plan): it may be missing (it is created), never a file. */
export function checkOutputFolder(shown: string, path: string): void {
  if (kind(path) === "file")
    throw new UsageError(`--output ${shown}: is a file; plan writes a folder (created if missing). Give a new or existing folder`);
}

/** A write that the file system refused, as one line naming --output (EACCES, ENOSPC...). */
export function outputWriteError(shown: string, error: unknown): UsageError {
  return new UsageError(`--output ${shown}: cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
}
