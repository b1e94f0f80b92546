/**
 * What a secret looks like, so that no front door ever echoes one: a PEM block (whatever the case
 * of its header), a JWT, a hex string of a digest or key length (32, 40 or 64 characters, either
 * case), or a long base64 string. Callers describe the value (its shape and length) instead.
 */
const PEM_HEADER = /-----BEGIN [^\r\n-]*-----/i;
const PRIVATE_KEY_HEADER = /-----BEGIN [^\r\n-]*PRIVATE KEY-----/i;
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const HEX = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const BASE64 = /^[A-Za-z0-9+/_-]{24,}={0,2}$/;

/** The kind of secret a text looks like, or undefined when it looks like none. */
export function secretShape(text: string): "a PEM block" | "a private key" | "a JWT" | "a hex string" | "a base64 string" | undefined {
  if (PRIVATE_KEY_HEADER.test(text)) return "a private key";
  if (PEM_HEADER.test(text)) return "a PEM block";
  const trimmed = text.trim();
  if (JWT.test(trimmed)) return "a JWT";
  if (HEX.test(trimmed)) return "a hex string";
  // Names (of variables, domains, connectors) are never a long run mixing lower case, upper case
  // and digits, or holding "+", "/" or "=" padding; tokens and keys are.
  if (BASE64.test(trimmed) && (/[+/=]/.test(trimmed) || (/[a-z]/.test(trimmed) && /[A-Z]/.test(trimmed) && /\d/.test(trimmed))))
    return "a base64 string";
  return undefined;
}

/** True when text holds a private key in PEM form, whatever the case of its header. */
export function containsPrivateKey(text: string): boolean {
  return PRIVATE_KEY_HEADER.test(text);
}
