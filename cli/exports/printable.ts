/**
 * Control characters in a value a terminal would interpret (ESC sequences that clear the screen or
 * set the title, a newline that forges a report line, bidirectional overrides that reorder text)
 * are written as visible escapes: "\x1B[2J", "\n" -> "\x0A", U+202E -> "\u202E".
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`
      : `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
  });
}
