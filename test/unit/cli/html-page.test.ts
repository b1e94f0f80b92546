import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { clean } from "../../../cli/html/page";
import { contrast, PALETTE } from "../../../cli/html/palette";
import { type CliIo, run } from "../../../cli/main";
import { summaryLine } from "../../../cli/report";

// Fixtures live in the source tree; tests run from dist/test/unit/cli.
const ROOT = join(__dirname, "..", "..", "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures");

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: FIXTURES, env: {}, stderrIsTty: false };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/** Assertions on a whole page that print the pattern, not the page, when they fail. */
function has(page: string, pattern: RegExp): void {
  assert.ok(pattern.test(page), `expected the page to match ${pattern}`);
}
function hasNot(page: string, pattern: RegExp): void {
  const found = pattern.exec(page);
  assert.ok(!found, `expected the page not to match ${pattern}; found ${JSON.stringify(found?.[0])}`);
}

/** The page's text as a reader sees it: tags dropped, entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

async function auditHtml(folder: string): Promise<{ html: string; code: number; stderr: string }> {
  const out = join(mkdtempSync(join(tmpdir(), "mfg-html-")), "report.html");
  const { code, stderr } = await cli(["audit", folder, "--now", "2026-06-01", "--format", "html", "--output", out]);
  return { html: readFileSync(out, "utf8"), code, stderr };
}

describe("audit --format html", () => {
  it("holds every finding of the audit with its fix, and the summary in the text report's words", async () => {
    const { html, code } = await auditHtml("html/meet");
    assert.equal(code, 1);
    const json = JSON.parse((await cli(["audit", "html/meet", "--now", "2026-06-01", "--format", "json"])).stdout);
    assert.equal(json.findings.length, 4);
    const text = textOf(html);
    for (const finding of json.findings) {
      assert.ok(text.includes(finding.message), finding.message);
      assert.ok(text.includes(`Fix: ${finding.remediation}`), finding.remediation);
    }
    assert.ok(text.includes(summaryLine(json.summary)));
    assert.equal(
      summaryLine(json.summary),
      "Read 12 files, 5 tenants, 5 inbound connectors, 5 send connectors, 3 certificates; findings: 2 mandatory, 2 advisory.",
    );
    // Both tenants of the certificate-name conflict list it; northwind alone has none.
    has(text, /No findings: northwind\.onmicrosoft\.com/);
    has(html, /id="tenant-fabrikam\.onmicrosoft\.com"[^>]*>[\s\S]*?certificate-not-shared-across-tenants/);
  });

  it("says at the top that an audit which could not read an input is incomplete, lists what was not read, and exits 2", async () => {
    const { html, code } = await auditHtml("audit/bad");
    assert.equal(code, 2);
    const json = JSON.parse((await cli(["audit", "audit/bad", "--now", "2026-06-01", "--format", "json"])).stdout);
    const text = textOf(html);
    has(text, /⚠ This audit is incomplete: some inputs were NOT read\./);
    has(text, /; NOT read: 2 inputs, 4 input problems\./);
    has(html, /<h3>Input problems \(not audited\)<\/h3>/);
    has(html, /<h3>Not read<\/h3>/);
    for (const problem of json.problems) assert.ok(text.includes(problem), problem);
    for (const { input, reason } of json.summary.inputsNotRead) assert.ok(text.includes(`${input}: ${reason}`), input);
    // A complete audit has no such box.
    hasNot(textOf((await auditHtml("html/meet")).html), /This audit is incomplete/);
  });

  it("escapes what a connector name holds, and shows control characters and direction overrides as visible symbols", async () => {
    const { html } = await auditHtml("html/meet");
    hasNot(html, /<from>|"on-prem" &(?!amp;)/);
    has(html, /<tspan class="title"[^>]*>Inbound &lt;from> &quot;on-prem&quot; &amp; co<\/tspan>/);
    assert.equal(clean("relay\u001b[31m\u202econtoso\u0000"), "relay\u241b[31m<U+202E>contoso\u2400");
    assert.equal(clean("tab\tand\nnewline"), "tab\tand\nnewline");
  });

  it("is one file that loads nothing: no external URL, a Content-Security-Policy that forbids loading", async () => {
    const { html } = await auditHtml("html/meet");
    has(html, /^<!DOCTYPE html>\n<html lang="en">/);
    has(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"/,
    );
    hasNot(html, /\b(src|href)="(?!#)[^"]*"/);
    hasNot(html, /@import|url\((?!#)/);
    // The only links that leave the page's anchors: none (runbook.md is plan's, not audit's).
    assert.deepEqual(
      [...html.matchAll(/href="([^"]*)"/g)].filter(([, href]) => !href?.startsWith("#")),
      [],
    );
  });

  it("draws the shared IP and the shared certificate name as nodes marked SHARED, connected to both tenants", async () => {
    const { html } = await auditHtml("html/meet");
    const shared = [
      ...html.matchAll(/<g class="node (\w+) shared" id="([^"]+)" data-kind="\w+" data-shared="true"[^>]*data-title="([^"]+)"/g),
    ].map(([, kind, , title]) => `${kind} ${title}`);
    assert.deepEqual(shared.sort(), ["certificate 7D2B4F6A8C0E1D3F5A7B9C1D3E5F7A9B1C3D5E7F", "ip 203.0.113.25", "name relay.contoso.com"]);
    const text = textOf(html);
    has(text, /⚠ Sender IP 203\.0\.113\.25 SHARED by 2 tenants: adatum\.onmicrosoft\.com, litware\.onmicrosoft\.com/);
    has(text, /⚠ Certificate name relay\.contoso\.com SHARED by 2 tenants: contoso\.onmicrosoft\.com, fabrikam\.onmicrosoft\.com/);
    has(text, /Where tenants meet \(2\)/);
    has(text, /Paths of one tenant each \(1\)/);
  });

  it("writes report.html beside the runbook with the map today and after the plan", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "mfg-html-plan-")), "plan");
    const { code, stderr } = await cli(["plan", "html/meet", "--now", "2026-06-01", "--output", out]);
    assert.equal(code, 0, stderr);
    const html = readFileSync(join(out, "report.html"), "utf8");
    const text = textOf(html);
    has(text, /Plan for 5 tenants: 10 changes, 4 certificate requests\./);
    // Today the IP joins adatum and litware; after the plan each has its own certificate name and no IP.
    has(text, /Today\. ⚠ TENANTS MEET HERE Tenants: adatum\.onmicrosoft\.com, litware\.onmicrosoft\.com/);
    has(text, /After the plan\. Tenants: adatum\.onmicrosoft\.com/);
    has(text, /After the plan\. Tenants: litware\.onmicrosoft\.com/);
    const after = [...html.matchAll(/<figure class="part[^"]*" id="after-\d+"[\s\S]*?<\/figure>/g)].map(([part]) => part);
    assert.equal(after.length, 5);
    for (const part of after) hasNot(part, /data-shared="true"|TENANTS MEET HERE/);
    has(after.join(""), /to request: CN=adatum\.com/);
  });
});

describe("the report's colours", () => {
  it("computes WCAG contrast: black on white is 21:1, a colour on itself 1:1", () => {
    assert.equal(contrast("#000000", "#ffffff").toFixed(2), "21.00");
    assert.equal(contrast("#a4001d", "#a4001d"), 1);
    assert.throws(() => contrast("red", "#ffffff"), /not a #rrggbb colour: red/);
  });

  it("gives every text colour at least 4.5:1 on its background (WCAG AA), and lines 3:1 on the page", () => {
    for (const [name, { fg, bg }] of Object.entries(PALETTE)) {
      const needed = name === "line" ? 3 : 4.5;
      assert.ok(contrast(fg, bg) >= needed, `${name}: ${fg} on ${bg} is ${contrast(fg, bg).toFixed(2)}:1, needs ${needed}:1`);
    }
    // The muted and shared texts also stand on the node fills.
    for (const fill of ["sendConnector", "certificate", "name", "ip", "inbound", "tenant", "shared"] as const) {
      assert.ok(contrast(PALETTE.muted.fg, PALETTE[fill].bg) >= 4.5, `muted on ${fill}`);
      assert.ok(contrast(PALETTE.shared.fg, PALETTE[fill].bg) >= 4.5, `shared on ${fill}`);
    }
  });
});
