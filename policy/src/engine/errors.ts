import { secretShape } from "./secret-shape";

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

/**
 * Quotes a value for a message, shortening long ones; a value shaped like a secret (a PEM block,
 * a JWT, a key) is described, never shown.
 */
export function quote(value: unknown): string {
  if (typeof value === "string") {
    // Hex and base64 are left to the callers that read secrets: thumbprints are hex and not secret.
    const shape = secretShape(value);
    if (shape === "a PEM block" || shape === "a private key" || shape === "a JWT")
      return `(${shape}, ${value.length} characters, not shown)`;
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === undefined) return "(missing)";
  return JSON.stringify(value) ?? String(value);
}
