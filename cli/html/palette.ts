/**
 * The report's colours, each text colour with the background it is drawn on, so that the contrast
 * of every pair can be checked against WCAG 2.x AA (4.5:1 for text; test/unit/cli/html-palette.test.ts).
 * Colour is never the only mark: every severity and every shared node also has an icon and a word.
 */

export const PALETTE = {
  text: { fg: "#1b1b1b", bg: "#ffffff" },
  muted: { fg: "#4a4a4a", bg: "#ffffff" },
  link: { fg: "#0b57d0", bg: "#ffffff" },
  mandatory: { fg: "#ffffff", bg: "#a4001d" },
  advisory: { fg: "#ffffff", bg: "#8a4600" },
  clean: { fg: "#ffffff", bg: "#1e6b34" },
  shared: { fg: "#8b0000", bg: "#fff1ee" },
  notRead: { fg: "#7a3e00", bg: "#fff4e0" },
  sendConnector: { fg: "#1b1b1b", bg: "#e8eefc" },
  certificate: { fg: "#1b1b1b", bg: "#f1ebfa" },
  name: { fg: "#1b1b1b", bg: "#f8f3e3" },
  ip: { fg: "#1b1b1b", bg: "#e4f4f1" },
  inbound: { fg: "#1b1b1b", bg: "#e9f5e9" },
  tenant: { fg: "#1b1b1b", bg: "#f0f0f0" },
  /** Node borders and edges: graphics, 3:1 against the page (WCAG 1.4.11). */
  line: { fg: "#5f6368", bg: "#ffffff" },
} as const;

export type PaletteEntry = keyof typeof PALETTE;

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG 2.x relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => channel(Number.parseInt(h as string, 16))) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2.x contrast ratio of two colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
