/**
 * Values as the engine sends them to a provider that accepts secrets: a secret arrives wrapped
 * in Pulumi's secret signature object, an unknown (computed) value during preview as the unknown
 * sentinel string. These helpers read them and wrap what the provider returns.
 */

import { UNKNOWN_VALUE } from "../policy/src/sources/pulumi";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The engine's marker for a value not known until apply. */
export const UNKNOWN = UNKNOWN_VALUE;

export function isSecretWrapper(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The value with every secret wrapper removed, deeply. */
export function reveal<T = unknown>(value: unknown): T {
  if (isSecretWrapper(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map((item) => reveal(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item)])) as T;
  }
  return value as T;
}

/** The value wrapped as a secret, so the engine keeps it encrypted in state. */
export function secret(value: unknown): unknown {
  return isSecretWrapper(value) ? value : { [SIG_KEY]: SECRET_SIG, value };
}

/** True when the value, or anything inside it, is not known until apply. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (isSecretWrapper(value)) return containsUnknown(value.value);
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** `<project>/<stack>` of a resource's URN (urn:pulumi:<stack>::<project>::<type>::<name>). */
export function ownerFromUrn(urn: string): string {
  const [head, project] = urn.split("::");
  const stack = head?.split(":").at(-1) ?? "";
  return `${project ?? ""}/${stack}`;
}

/** The resource type of a URN, the innermost of its type chain (parent$child). */
export function typeFromUrn(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").at(-1) ?? "";
}
