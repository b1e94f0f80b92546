import { CLOUD_NAMES, CLOUDS } from "../../policy/src/engine/clouds";

/** What --live and --live-tenants gave: the tenants to read, once each, and what was wrong with the file. */
export interface TenantList {
  readonly tenants: readonly string[];
  /** One line per malformed line of the file (file:line, the value, the fix); each is an input not read. */
  readonly malformed: readonly { readonly input: string; readonly message: string }[];
  /** One line per repeated tenant (read once all the same). */
  readonly duplicates: readonly string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const SUFFIXES = [...new Set(CLOUD_NAMES.map((cloud) => CLOUDS[cloud].tenantSuffix))];

/** True for a tenant ID (GUID) or an initial domain of any cloud (contoso.onmicrosoft.com, contoso.onmicrosoft.us, …). */
export function isTenantIdentifier(value: string): boolean {
  if (GUID.test(value)) return true;
  const suffix = SUFFIXES.find((s) => value.toLowerCase().endsWith(`.${s}`));
  if (suffix === undefined) return false;
  const name = value.slice(0, -(suffix.length + 1));
  return name !== "" && name.split(".").every((label) => LABEL.test(label));
}

function problemWith(value: string): string {
  if (/\s/.test(value)) return "holds more than one value; give one tenant per line";
  if (value.includes("@")) return "is an address, not a tenant; give the tenant's initial domain or its tenant ID";
  return `is neither an initial domain (<name>.${SUFFIXES.join(", <name>.")}) nor a tenant ID (a GUID); give the tenant's initial domain or its tenant ID, or comment the line out with #`;
}

/**
 * Reads a --live-tenants file: one initial domain or tenant ID per line; `#` starts a comment (whole
 * line or after the value); blank lines are skipped. Tenants already given with --live, or on an
 * earlier line, are read once and named; a malformed line is named with its number and left out.
 */
export function listTenants(fromCommandLine: readonly string[], file?: { readonly text: string; readonly shown: string }): TenantList {
  const tenants: string[] = [];
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const tenant of fromCommandLine) {
    const key = tenant.toLowerCase();
    if (seen.has(key)) {
      duplicates.push(`--live ${tenant}: given more than once; it is read once. Remove the repeated --live`);
      continue;
    }
    seen.set(key, "--live");
    tenants.push(tenant);
  }
  const malformed: { input: string; message: string }[] = [];
  const lines = file === undefined ? [] : file.text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const value = (line.split("#", 1)[0] as string).trim();
    if (value === "") continue;
    const where = `${file?.shown}:${index + 1}`;
    if (!isTenantIdentifier(value)) {
      malformed.push({ input: where, message: `${where}: "${value}" ${problemWith(value)}` });
      continue;
    }
    const key = value.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      const first = earlier === "--live" ? "is also given with --live" : `repeats line ${earlier}`;
      duplicates.push(`${where}: "${value}" ${first}; it is read once. Remove the repeated line`);
      continue;
    }
    seen.set(key, String(index + 1));
    tenants.push(value);
  }
  return { tenants, malformed, duplicates };
}
