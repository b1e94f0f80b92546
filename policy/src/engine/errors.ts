/**
 * A value that cannot be used as given. The message always names the field, quotes the value,
 * states the rule and says how to fix it, so every front door can print it as is.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`'${field}' ${quote(value)} ${rule}`);
  }
}

/** Quotes a value for a message, shortening long ones so a PEM does not flood the output. */
export function quote(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === undefined) return "(missing)";
  return JSON.stringify(value) ?? String(value);
}
