import { statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "../test/support/browser";
import { type EstateOptions, makeEstate, writeExportFolder } from "./generate";
import { median, run, tail } from "./proc";

/**
 * The HTML report at MSP scale: `audit --format html` of a generated export folder (file size and
 * the CLI's wall time), then the page in headless Chromium (Debian's, through playwright-core): the
 * time from navigation to the load event and to the first frame after it, and one search by tenant.
 */

export interface HtmlRun {
  readonly generateMs: number;
  readonly loadMs: number;
  readonly firstFrameMs: number;
  readonly filterMs: number;
  readonly domNodes: number;
}

export interface HtmlSize {
  readonly tenants: number;
  readonly bytes: number;
  readonly parts: number;
  readonly runs: HtmlRun[];
}

export async function measureHtmlReport(options: {
  readonly work: string;
  readonly cli: string;
  readonly now: string;
  readonly sizes: readonly number[];
  readonly runs: number;
  readonly estate: Omit<EstateOptions, "tenants">;
  readonly log: (line: string) => void;
}): Promise<HtmlSize[]> {
  const results: HtmlSize[] = [];
  const browser = await launchChromium({ viewport: { width: 1400, height: 900 } });
  try {
    for (const tenants of options.sizes) {
      const dir = join(options.work, `html-export-${tenants}`);
      writeExportFolder(makeEstate({ tenants, ...options.estate }), dir);
      const file = join(options.work, `report-${tenants}.html`);
      const size = { tenants, bytes: 0, parts: 0, runs: [] as HtmlRun[] };
      for (let r = 0; r < options.runs; r++) {
        options.log(`HTML report of ${tenants} tenants: run ${r + 1}/${options.runs}`);
        const result = await run(process.execPath, [options.cli, "audit", dir, "--format", "html", "--output", file, "--now", options.now]);
        if (result.code !== 0 && result.code !== 1) throw new Error(`audit --format html exited ${result.code}:\n${tail(result.stderr)}`);
        const page = await browser.context.newPage();
        await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: 120_000 });
        const timing = await page.evaluate(
          () =>
            new Promise<{ loadMs: number; firstFrameMs: number; domNodes: number; parts: number }>((resolve) => {
              requestAnimationFrame(() => {
                setTimeout(() => {
                  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
                  resolve({
                    loadMs: nav.loadEventEnd - nav.startTime,
                    firstFrameMs: performance.now(),
                    domNodes: document.getElementsByTagName("*").length,
                    parts: document.querySelectorAll("figure.part").length,
                  });
                }, 0);
              });
            }),
        );
        // Search one tenant through the page's own filter box; the time until the next frame.
        const target = `t${String(Math.floor(tenants / 2)).padStart(5, "0")}`;
        const filterMs = await page.evaluate(
          (query) =>
            new Promise<number>((resolve) => {
              const input = document.querySelector("#filter input") as HTMLInputElement;
              const start = performance.now();
              input.value = query;
              input.dispatchEvent(new Event("input"));
              requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start), 0));
            }),
          target,
        );
        await page.close();
        size.bytes = statSync(file).size;
        size.parts = timing.parts;
        size.runs.push({
          generateMs: result.wallMs,
          loadMs: timing.loadMs,
          firstFrameMs: timing.firstFrameMs,
          filterMs,
          domNodes: timing.domNodes,
        });
      }
      results.push(size);
    }
  } finally {
    await browser.close();
  }
  return results;
}

/** The bench table's rows for the HTML report. */
export function htmlTable(sizes: readonly HtmlSize[], ms: (n: number) => string): string[] {
  const lines = [
    "| HTML report (`audit --format html`, headless Chromium) | tenants | runs | file size | map parts | DOM elements | generate (CLI wall) | navigation → load event | → first frame | search one tenant |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of sizes) {
    const pick = (f: (r: HtmlRun) => number) => ms(median(s.runs.map(f)));
    lines.push(
      `| export folder | ${s.tenants.toLocaleString("en-US")} | ${s.runs.length} | ${(s.bytes / 2 ** 20).toFixed(2)} MiB | ${s.parts.toLocaleString("en-US")} | ${(s.runs[0]?.domNodes ?? 0).toLocaleString("en-US")} | ${pick((r) => r.generateMs)} | ${pick((r) => r.loadMs)} | ${pick((r) => r.firstFrameMs)} | ${pick((r) => r.filterMs)} |`,
    );
  }
  return lines;
}
