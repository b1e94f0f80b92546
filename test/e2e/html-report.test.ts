import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { PNG } from "pngjs";
import { type CliIo, run } from "../../cli/main";
import { type Browser, launchChromium } from "../support/browser";

/**
 * The HTML report in a real browser (Debian's chromium through playwright-core): the fixture estate
 * where two tenants share a sender IP and two share a certificate name. With
 * MAILFLOW_GUARD_WRITE_SCREENSHOT=1 the map's screenshot is also written to docs/images/.
 */
const ROOT = join(__dirname, "..", "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures");
const SCREENSHOT = join(ROOT, "docs", "images", "attribution-map.png");

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: FIXTURES, env: {}, stderrIsTty: false };
  return { code: await run(argv, io), stdout, stderr };
}

interface DomNode {
  id: string;
  kind: string;
  tenant: string | null;
  shared: boolean;
  text: string;
  svg: number;
}

/** The drawn map as the browser has it: nodes (g.node) and edges (path.edge) of every SVG. */
async function drawnMap(page: Page): Promise<{ nodes: DomNode[]; edges: { from: string; to: string }[] }> {
  return page.evaluate(() => {
    const svgs = Array.from(document.querySelectorAll("figure.part svg"));
    const nodes = svgs.flatMap((svg, i) =>
      Array.from(svg.querySelectorAll("g.node")).map((g) => ({
        id: g.id,
        kind: g.getAttribute("data-kind") ?? "",
        tenant: g.getAttribute("data-tenant"),
        shared: g.getAttribute("data-shared") === "true",
        text: Array.from(g.querySelectorAll("tspan"))
          .map((t) => t.textContent)
          .join("\n"),
        svg: i,
      })),
    );
    const edges = svgs.flatMap((svg) =>
      Array.from(svg.querySelectorAll("path.edge")).map((p) => ({
        from: p.getAttribute("data-from") ?? "",
        to: p.getAttribute("data-to") ?? "",
      })),
    );
    return { nodes, edges };
  });
}

/** Tenants a node connects: those its edges lead to, and those the Send Connectors that reach it also lead to. */
function connectedTenants(map: Awaited<ReturnType<typeof drawnMap>>, id: string): string[] {
  const walk = (start: string, next: (at: string) => string[]) => {
    const seen = new Set([start]);
    const queue = [start];
    while (queue.length > 0) {
      for (const n of next(queue.shift() as string)) {
        if (seen.has(n)) continue;
        seen.add(n);
        queue.push(n);
      }
    }
    return seen;
  };
  const down = (at: string) => map.edges.filter((e) => e.from === at).map((e) => e.to);
  const up = (at: string) => map.edges.filter((e) => e.to === at).map((e) => e.from);
  const byId = new Map(map.nodes.map((n) => [n.id, n]));
  const reached = new Set(walk(id, down));
  for (const s of walk(id, up)) if (byId.get(s)?.kind === "sendConnector") for (const n of walk(s, down)) reached.add(n);
  return [...reached]
    .map((n) => byId.get(n))
    .filter((n) => n?.kind === "tenant")
    .map((n) => n?.tenant as string)
    .sort();
}

describe("the HTML report in a browser", () => {
  let dir: string;
  let report: string;
  let findings: { message: string; remediation: string; ruleId: string }[];
  let textReport: string;
  let browser: Browser;
  const requests: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "mfg-html-e2e-"));
    report = join(dir, "report.html");
    const args = ["audit", "html/meet", "--now", "2026-06-01"];
    assert.equal((await cli([...args, "--format", "html", "--output", report])).code, 1);
    findings = JSON.parse((await cli([...args, "--format", "json"])).stdout).findings;
    textReport = (await cli(args)).stdout;
    browser = await launchChromium();
    browser.context.on("request", (request) => {
      if (request.url() !== pathToFileURL(report).href) requests.push(request.url());
    });
  });
  after(async () => {
    await browser?.close();
  });

  it("connects both tenants of each conflict to the shared node, which says SHARED in words", async () => {
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(report).href);
    const map = await drawnMap(page);
    const shared = map.nodes.filter((n) => n.shared);
    const ip = shared.find((n) => n.kind === "ip" && n.text.includes("203.0.113.25"));
    const name = shared.find((n) => n.kind === "name" && n.text.includes("relay.contoso.com"));
    assert.ok(ip, `no shared sender-IP node; shared: ${shared.map((n) => n.text).join(" | ")}`);
    assert.ok(name, `no shared certificate-name node; shared: ${shared.map((n) => n.text).join(" | ")}`);
    assert.deepEqual(connectedTenants(map, ip.id), ["adatum.onmicrosoft.com", "litware.onmicrosoft.com"]);
    assert.deepEqual(connectedTenants(map, name.id), ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
    assert.match(ip.text, /^⚠ SHARED by 2 tenants:\n {2}adatum\.onmicrosoft\.com\n {2}litware\.onmicrosoft\.com$/m);
    assert.match(name.text, /^⚠ SHARED by 2 tenants:\n {2}contoso\.onmicrosoft\.com\n {2}fabrikam\.onmicrosoft\.com$/m);
    // The clean tenant's path has no shared node.
    const northwind = map.nodes.find((n) => n.tenant === "northwind.onmicrosoft.com") as DomNode;
    assert.deepEqual(
      map.nodes.filter((n) => n.svg === northwind.svg && n.shared),
      [],
    );
    await page.close();
  });

  it("holds every finding of the text report, with its fix, readable without JavaScript", async () => {
    const plain = await launchChromium({ javaScript: false });
    try {
      const page = await plain.context.newPage();
      await page.goto(pathToFileURL(report).href);
      const text = (await page.locator("#tenants").textContent()) ?? "";
      const lines = textReport
        .split("\n")
        .filter((l) => /^ {4}\S/.test(l) && !l.startsWith("    in:") && !l.startsWith("    also listed under:"))
        .map((l) => l.trim());
      // A finding between tenants is listed under each tenant it involves (a message and a fix line each time).
      assert.ok(lines.length >= findings.length * 2, `${lines.length} lines for ${findings.length} findings`);
      for (const line of lines) assert.ok(text.includes(line), `not on the page: ${line}`);
      for (const f of findings) assert.ok(text.includes(f.message), `message not on the page: ${f.message}`);
      for (const f of findings) assert.ok(text.includes(`Fix: ${f.remediation}`), f.ruleId);
      // Without script the filter box stays hidden; the tenants' sections are all there, and their links lead to the map.
      assert.equal(await page.locator("#filter").isVisible(), false);
      await page.locator("#tenant-litware\\.onmicrosoft\\.com a").first().click();
      assert.match(page.url(), /#map-1$/);
      assert.equal(await page.locator("#map-1").isVisible(), true);
      await page.close();
    } finally {
      await plain.close();
    }
  });

  it("filters by tenant with JavaScript, and prints every section open", async () => {
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(report).href);
    await page.locator("#filter input").fill("litware");
    assert.equal(await page.locator("#filter output").textContent(), "1 tenants match");
    assert.equal(await page.locator("#tenant-adatum\\.onmicrosoft\\.com").isVisible(), false);
    assert.equal(await page.locator("#tenant-litware\\.onmicrosoft\\.com").isVisible(), true);
    await page.locator("#filter input").fill("");
    // A closed section (the words beside a drawing) is printed open.
    const words = page.locator("figure.part details.words ul").first();
    assert.equal(await words.isVisible(), false);
    await page.emulateMedia({ media: "print" });
    assert.equal(await words.isVisible(), true);
    const pdf = await page.pdf({ format: "A4", landscape: true });
    assert.ok(pdf.length > 10_000, `PDF of ${pdf.length} bytes`);
    await page.close();
  });

  it("saves a screenshot of where tenants meet that is not blank, having loaded nothing from anywhere", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(pathToFileURL(report).href);
    const parts = page.locator("figure.part.meets");
    assert.equal(await parts.count(), 2);
    const boxes = [await page.locator("#meet").boundingBox(), await parts.nth(0).boundingBox(), await parts.nth(1).boundingBox()];
    assert.ok(boxes.every((b) => b !== null));
    const [heading, , last] = boxes as { x: number; y: number; width: number; height: number }[];
    const png = await page.screenshot({
      fullPage: true,
      clip: { x: 0, y: (heading?.y ?? 0) - 8, width: 1400, height: (last?.y ?? 0) + (last?.height ?? 0) - (heading?.y ?? 0) + 16 },
    });
    const file = join(dir, "attribution-map.png");
    writeFileSync(file, png);
    const image = PNG.sync.read(png);
    const counts = new Map<number, number>();
    for (let i = 0; i < image.data.length; i += 4) {
      const rgb = (image.data[i] as number) * 65536 + (image.data[i + 1] as number) * 256 + (image.data[i + 2] as number);
      counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
    }
    const pixels = image.width * image.height;
    const commonest = Math.max(...counts.values());
    assert.ok(counts.size >= 32, `only ${counts.size} distinct colours`);
    assert.ok(commonest / pixels < 0.95, `${((commonest / pixels) * 100).toFixed(1)}% of the pixels are one colour`);
    if (process.env.MAILFLOW_GUARD_WRITE_SCREENSHOT === "1") {
      mkdirSync(join(ROOT, "docs", "images"), { recursive: true });
      copyFileSync(file, SCREENSHOT);
    }
    await page.close();
    assert.deepEqual(requests, []);
    assert.ok(readFileSync(report, "utf8").length > 0);
  });
});
