import type { ComponentChildren, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { buildIndex, type Finding, type Inventory, type InventoryIndex } from "../../policy/src/engine";
import { ACROSS, countFindings, findingTenant, resourceLabel, SECTION } from "../report";
import { ICON, LINE_PX, MAX_DRAWN_NODES, PAD_PX, type PlacedComponent, type PlacedNode } from "./layout";
import { KIND_LABEL, type MapComponent } from "./map";
import { PALETTE } from "./palette";

/**
 * The page, rendered once to a string with Preact's server renderer: every text and attribute
 * value is escaped by the renderer (connector names can hold anything), and the only raw HTML is
 * this module's own style sheet and script. One file, nothing loaded from anywhere
 * (Content-Security-Policy default-src 'none'), readable and printable without script.
 */

/** Control characters and bidirectional overrides shown as visible symbols, never passed to the page as they are. */
export function clean(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.codePointAt(0) as number;
    if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a) ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    ) {
      out +=
        code < 0x20
          ? String.fromCharCode(0x2400 + code)
          : code === 0x7f
            ? "\u2421"
            : `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
    } else out += c;
  }
  return out;
}

const css = (name: keyof typeof PALETTE) => `color:${PALETTE[name].fg};background:${PALETTE[name].bg}`;

const STYLE = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;${css("text")}}
header,main{max-width:1500px;margin:0 auto;padding:0 20px}
header{padding-top:16px}
h1{font-size:1.6em;margin:.2em 0}
h2{font-size:1.3em;margin:1.4em 0 .4em;border-bottom:2px solid ${PALETTE.line.fg}}
h3{font-size:1.1em;margin:1.1em 0 .3em}
a{color:${PALETTE.link.fg}}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.92em}
.muted{color:${PALETTE.muted.fg}}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em 1.2em}
.summary-line{font-weight:600}
.counts{display:flex;flex-wrap:wrap;gap:10px;padding:0;list-style:none}
.counts li{border:1px solid ${PALETTE.line.fg};border-radius:6px;padding:6px 12px}
.counts b{font-size:1.4em;display:block}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-weight:700;font-size:.85em;white-space:nowrap}
.badge.mandatory{${css("mandatory")}}
.badge.advisory{${css("advisory")}}
.badge.clean{${css("clean")}}
.badge.shared{${css("shared")};border:1px solid ${PALETTE.shared.fg}}
.alert{${css("notRead")};border:2px solid ${PALETTE.notRead.fg};border-radius:6px;padding:8px 12px}
details{margin:.3em 0}
details>summary{cursor:pointer}
.tenant{border-left:4px solid ${PALETTE.line.fg};padding-left:10px}
.tenant.mandatory{border-left:6px double ${PALETTE.mandatory.bg}}
.tenant.advisory{border-left:6px dotted ${PALETTE.advisory.bg}}
ol.findings{padding-left:1.4em}
ol.findings li{margin:.5em 0}
.finding p{margin:.1em 0}
.fix{padding-left:.8em;border-left:3px solid ${PALETTE.clean.bg}}
.part{border:1px solid ${PALETTE.line.fg};border-radius:6px;padding:8px;margin:10px 0;break-inside:avoid}
.part.meets{border:3px double ${PALETTE.shared.fg}}
.part svg{max-width:100%;height:auto;display:block}
.meetings{margin:.2em 0;padding-left:1.2em;color:${PALETTE.shared.fg}}
.side{display:grid;grid-template-columns:1fr 1fr;gap:12px;align-items:start}
.side>div{min-width:0}
svg text{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;fill:${PALETTE.text.fg}}
svg .kind{font-size:10px;fill:${PALETTE.muted.fg};letter-spacing:.05em}
svg .title{font-weight:700}
svg .mark,svg .finding{font-weight:700;fill:${PALETTE.shared.fg}}
svg .node rect{stroke:${PALETTE.line.fg};stroke-width:1}
${(["sendConnector", "certificate", "name", "ip", "inbound", "tenant"] as const).map((k) => `svg .node.${k} rect{fill:${PALETTE[k].bg}}`).join("\n")}
svg .node.shared rect{fill:${PALETTE.shared.bg};stroke:${PALETTE.shared.fg};stroke-width:3;stroke-dasharray:6 3}
svg .edge{fill:none;stroke:${PALETTE.line.fg};stroke-width:1.5}
svg .edge.fallback{stroke-dasharray:2 4}
svg .edge.meets{stroke:${PALETTE.shared.fg};stroke-width:3}
#filter{margin:.6em 0}
#filter input{font:inherit;padding:4px 8px;min-width:22em}
.hidden{display:none}
@media print{
  nav,#filter{display:none}
  details::details-content{content-visibility:visible;display:contents}
  details>summary{list-style:none}
  .side{grid-template-columns:1fr 1fr}
  a{color:${PALETTE.text.fg};text-decoration:none}
}
`;

/** Optional: a filter box and "open everything before printing". The page is complete without it. */
const SCRIPT = `
(function(){
  var box=document.getElementById("filter");box.hidden=false;
  var input=box.querySelector("input"),out=box.querySelector("output");
  var items=[].slice.call(document.querySelectorAll("[data-tenants]"));
  input.addEventListener("input",function(){
    var q=input.value.trim().toLowerCase(),shown=0;
    items.forEach(function(el){var hit=!q||el.getAttribute("data-tenants").indexOf(q)>=0;el.classList.toggle("hidden",!hit);if(hit&&el.classList.contains("tenant"))shown++;if(q&&hit&&el.tagName==="DETAILS")el.open=true;});
    out.textContent=q?shown+" tenants match":"";
  });
  window.addEventListener("beforeprint",function(){[].forEach.call(document.querySelectorAll("details"),function(d){d.open=true;});});
})();
`;

export function Page(props: { title: string; subtitle: string; children: ComponentChildren }): VNode {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="generator" content="mailflow-guard" />
        <title>{clean(props.title)}</title>
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <header>
          <h1>{clean(props.title)}</h1>
          <p class="muted">{clean(props.subtitle)}</p>
        </header>
        <main>{props.children}</main>
        <script dangerouslySetInnerHTML={{ __html: SCRIPT }} />
      </body>
    </html>
  );
}

export function renderPage(page: VNode): string {
  return `<!DOCTYPE html>\n${renderToString(page)}\n`;
}

/** The filter box: hidden until the script shows it; without script the browser's find (which opens closed sections) serves. */
export function Filter(): VNode {
  return (
    <search id="filter" hidden>
      <label>
        Find a tenant: <input type="search" placeholder="e.g. contoso" aria-describedby="filter-count" />
      </label>{" "}
      <output id="filter-count" aria-live="polite" />
    </search>
  );
}

export function Severity(props: { severity: Finding["severity"] }): VNode {
  return (
    <span class={`badge ${props.severity}`}>
      {props.severity === "mandatory" ? ICON.mandatory : ICON.advisory} {props.severity.toUpperCase()}
    </span>
  );
}

/** Lookups for findingTenants, built once per page. */
interface RefIndex {
  readonly inbound: ReadonlyMap<string, string[]>;
  readonly send: ReadonlyMap<string, string[]>;
  readonly certificate: ReadonlyMap<string, string>;
  readonly tenantsByThumbprint: InventoryIndex["tenantsByThumbprint"];
}

function refIndex(inventory: Inventory): RefIndex {
  const inbound = new Map<string, string[]>();
  const send = new Map<string, string[]>();
  const key = (name: string, source: string | undefined) => `${source ?? ""}\u0000${name}`;
  for (const c of inventory.inboundConnectors)
    inbound.set(key(c.ref.name, c.ref.source), [...(inbound.get(key(c.ref.name, c.ref.source)) ?? []), c.tenant]);
  for (const c of inventory.sendConnectors)
    send.set(key(c.ref.name, c.ref.source), [...(send.get(key(c.ref.name, c.ref.source)) ?? []), ...c.tenants]);
  const certificate = new Map<string, string>();
  for (const c of inventory.certificates) {
    certificate.set(c.thumbprint, c.thumbprint);
    if (c.ref) certificate.set(c.ref.name, c.thumbprint);
  }
  const tenantsByThumbprint = buildIndex(inventory).tenantsByThumbprint;
  return { inbound, send, certificate, tenantsByThumbprint };
}

/** Every tenant a finding involves: the text report's tenant, and the tenants of the resources it names. */
export function findingTenants(finding: Finding, inventory: Inventory, index: RefIndex = refIndex(inventory)): string[] {
  const tenants = new Set<string>();
  const own = findingTenant(finding, inventory);
  if (own) tenants.add(own);
  for (const ref of [finding.resource, ...(finding.related ?? [])]) {
    const at = `${ref.source ?? ""}\u0000${ref.name}`;
    if (ref.kind === "tenant") tenants.add(ref.name);
    for (const t of ref.kind === "inboundConnector" ? (index.inbound.get(at) ?? []) : []) tenants.add(t);
    for (const t of ref.kind === "sendConnector" ? (index.send.get(at) ?? []) : []) tenants.add(t);
    const thumbprint = ref.kind === "certificate" ? index.certificate.get(ref.name) : undefined;
    for (const t of (thumbprint && index.tenantsByThumbprint.get(thumbprint)) || []) tenants.add(t);
  }
  return [...tenants].sort();
}

export interface TenantGroup {
  readonly tenant: string;
  readonly findings: Finding[];
}

/** Findings grouped by tenant (a finding between tenants under each of them), worst tenant first, as the text report orders them. */
export function groupByTenant(findings: readonly Finding[], inventory: Inventory): { groups: TenantGroup[]; clean: string[] } {
  const index = refIndex(inventory);
  const byTenant = new Map<string, Finding[]>();
  for (const finding of findings) {
    const tenants = findingTenants(finding, inventory, index);
    for (const tenant of tenants.length > 0 ? tenants : [ACROSS]) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), finding]);
  }
  const groups = [...byTenant.entries()]
    .map(([tenant, list]) => ({ tenant, findings: list }))
    .sort((a, b) => {
      const sa = countFindings(a.findings);
      const sb = countFindings(b.findings);
      return sb.mandatory - sa.mandatory || sb.advisory - sa.advisory || a.tenant.localeCompare(b.tenant);
    });
  const clean = inventory.tenants
    .map((t) => t.name)
    .filter((name) => !byTenant.has(name))
    .sort();
  return { groups, clean };
}

export function FindingItem(props: { finding: Finding }): VNode {
  const { finding } = props;
  return (
    <li class={`finding ${finding.severity}`}>
      <p>
        <Severity severity={finding.severity} /> <code>{finding.ruleId}</code> {clean(resourceLabel(finding.resource))}
      </p>
      {finding.resource.source ? <p class="muted">in: {clean(finding.resource.source)}</p> : null}
      <p class="message">{clean(finding.message)}</p>
      <p class="fix">
        <strong>Fix:</strong> {clean(finding.remediation)}
      </p>
    </li>
  );
}

export const tenantAnchor = (tenant: string) => `tenant-${tenant}`;

/** Per tenant, its findings with the fix, and a link to its part of the map; tenants without findings too. */
export function TenantSections(props: {
  groups: TenantGroup[];
  clean: string[];
  partOf: ReadonlyMap<string, MapComponent>;
  open: boolean;
}): VNode {
  const link = (tenant: string) => {
    const part = props.partOf.get(tenant);
    return part ? (
      <>
        {" "}
        · <a href={`#${part.id}`}>its paths on the map</a>
      </>
    ) : null;
  };
  const worst = (g: TenantGroup) => (g.findings.some((f) => f.severity === "mandatory") ? "mandatory" : "advisory");
  const withMandatory = props.groups.filter((g) => worst(g) === "mandatory");
  const advisoryOnly = props.groups.filter((g) => worst(g) === "advisory");
  const section = (title: string, groups: TenantGroup[]) =>
    groups.length === 0 ? null : (
      <details open>
        <summary>
          <h3 style="display:inline">
            {title} ({groups.length})
          </h3>
        </summary>
        {groups.map((g) => {
          const counts = countFindings(g.findings);
          return (
            <details class={`tenant ${worst(g)}`} id={tenantAnchor(g.tenant)} data-tenants={g.tenant.toLowerCase()} open={props.open}>
              <summary>
                <Severity severity={worst(g)} /> <strong>{clean(g.tenant)}</strong> ({counts.mandatory} mandatory, {counts.advisory}{" "}
                advisory){link(g.tenant)}
              </summary>
              <ol class="findings">
                {g.findings.map((f) => (
                  <FindingItem finding={f} />
                ))}
              </ol>
            </details>
          );
        })}
      </details>
    );
  return (
    <>
      {section("Tenants with mandatory findings", withMandatory)}
      {section("Tenants with advisory findings only", advisoryOnly)}
      {props.clean.length > 0 ? (
        <details open>
          <summary>
            <h3 style="display:inline">
              {ICON.clean} {SECTION.noFindings} ({props.clean.length})
            </h3>
          </summary>
          <p>
            {SECTION.noFindings}: {clean(props.clean.join(", "))}
          </p>
          <ul>
            {props.clean.map((tenant) => (
              <li class="tenant clean" id={tenantAnchor(tenant)} data-tenants={tenant.toLowerCase()}>
                <span class="badge clean">{ICON.clean} NO FINDINGS</span> {clean(tenant)}
                {link(tenant)}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}

function nodeTooltip(placed: PlacedNode): string {
  const n = placed.node;
  return clean(
    [
      `${KIND_LABEL[n.kind]}: ${n.title}`,
      ...n.details,
      ...n.marks,
      ...(n.findings.rules.length > 0 ? [`findings: ${n.findings.rules.join(", ")}`] : []),
    ].join("\n"),
  );
}

/** One part of the map as inline SVG (coordinates from the layout), with the same facts in words beside it. */
export function MapPart(props: { placed: PlacedComponent; heading?: string }): VNode {
  const { placed } = props;
  const { component } = placed;
  const localId = new Map(placed.nodes.map((p, i) => [p.node.id, `${component.id}-n${i}`]));
  const titleOf = new Map(placed.nodes.map((p) => [p.node.id, p.node]));
  const shared = new Set(placed.nodes.filter((p) => p.node.marks.length > 0).map((p) => p.node.id));
  const meets = component.meetings.length > 0;
  const describe = (id: string) => {
    const n = titleOf.get(id);
    return n ? `${KIND_LABEL[n.kind]} ${n.kind === "sendConnector" || n.kind === "inbound" ? `"${n.title}"` : n.title}` : id;
  };
  return (
    <figure class={`part${meets ? " meets" : ""}`} id={component.id} data-tenants={component.tenants.join(" ").toLowerCase()}>
      <figcaption>
        {props.heading ? <strong>{props.heading} </strong> : null}
        {meets ? <span class="badge shared">{ICON.shared} TENANTS MEET HERE</span> : null}
        {meets ? " " : ""}Tenants:{" "}
        {component.tenants.length === 0
          ? "(none)"
          : component.tenants.map((t, i) => (
              <>
                {i > 0 ? ", " : ""}
                <a href={`#${tenantAnchor(t)}`}>{clean(t)}</a>
              </>
            ))}
        {meets ? (
          <ul class="meetings">
            {component.meetings.map((m) => (
              <li>
                {ICON.shared} {clean(m)}
              </li>
            ))}
          </ul>
        ) : null}
      </figcaption>
      {placed.drawn ? null : (
        <p class="alert">
          {ICON.shared} Not drawn: this part has {component.nodes.length} nodes (more than {MAX_DRAWN_NODES}), too many to draw legibly.
          Every connection is listed below.
        </p>
      )}
      {!placed.drawn ? null : (
        <svg
          xmlns="http://www.w3.org/2000/svg"
          viewBox={`0 0 ${placed.width} ${placed.height}`}
          width={placed.width}
          height={placed.height}
          role="img"
          aria-labelledby={`${component.id}-title`}
        >
          <title id={`${component.id}-title`}>
            {clean(
              `Attribution map, tenants ${component.tenants.join(", ") || "(none)"}${meets ? `: ${component.meetings.join("; ")}` : ""}`,
            )}
          </title>
          {placed.edges.map((e) => (
            <path
              class={`edge${e.fallback ? " fallback" : ""}${shared.has(e.from) || shared.has(e.to) ? " meets" : ""}`}
              data-from={localId.get(e.from)}
              data-to={localId.get(e.to)}
              d={e.points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ")}
              marker-end="url(#arrow)"
            >
              <title>{clean(`${describe(e.from)} → ${describe(e.to)}: ${e.label}`)}</title>
            </path>
          ))}
          {placed.nodes.map((p) => (
            <g
              class={`node ${p.node.kind}${p.node.marks.length > 0 ? " shared" : ""}`}
              id={localId.get(p.node.id)}
              data-kind={p.node.kind}
              data-shared={p.node.marks.length > 0 && p.node.kind !== "tenant" && p.node.kind !== "sendConnector" ? "true" : undefined}
              data-tenant={p.node.tenant}
              data-title={clean(p.node.title)}
            >
              <title>{nodeTooltip(p)}</title>
              <rect x={p.x} y={p.y} width={p.width} height={p.height} rx={4} />
              <text x={p.x + PAD_PX} y={p.y + PAD_PX}>
                {p.lines.map((line, i) => (
                  <tspan class={line.role} x={p.x + PAD_PX} y={p.y + PAD_PX + 11 + i * LINE_PX}>
                    {clean(line.text)}
                  </tspan>
                ))}
              </text>
            </g>
          ))}
        </svg>
      )}
      <details class="words" open={!placed.drawn}>
        <summary>This part in words</summary>
        <ul>
          {component.edges.map((e) => (
            <li>{clean(`${describe(e.from)} → ${describe(e.to)}: ${e.label}${e.fallback ? " (dotted line)" : ""}`)}</li>
          ))}
        </ul>
      </details>
    </figure>
  );
}

/** The arrowhead every drawing refers to, defined once. */
export function SvgDefs(): VNode {
  return (
    <svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0 0L10 5L0 10z" fill={PALETTE.line.fg} />
        </marker>
      </defs>
    </svg>
  );
}

export function Legend(): VNode {
  return (
    <p class="muted">
      Left to right: on-premises Send Connector (with its servers) → the certificate it presents → the certificate name or sender IP
      Exchange Online matches → the OnPremises inbound connector that accepts it → its tenant.{" "}
      <span class="badge shared">{ICON.shared}</span> and a dashed, thick red border with the word SHARED: tenants meet there. A dotted
      line: a Send Connector routes to the tenant but nothing on the path identifies it, so P1 MAIL FROM, then RCPT TO decide.{" "}
      <span class="badge mandatory">{ICON.mandatory}</span> and <span class="badge advisory">{ICON.advisory}</span>: the engine's findings
      on that resource.
    </p>
  );
}
