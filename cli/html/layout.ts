import ELK, { type ElkExtendedEdge, type ElkNode } from "elkjs/lib/elk.bundled.js";
import { COLUMNS, KIND_LABEL, type MapComponent, type MapEdge, type MapNode } from "./map";

/**
 * Places each part of the attribution map with ELK's layered (Sugiyama) algorithm: one column per
 * kind of node (ELK's partitioning), edges routed orthogonally between them. Runs at generation
 * time; the page gets fixed coordinates and needs no script.
 */

/** Characters per line in a node; longer text is cut with "…" (the full text is in the node's tooltip and the text version). */
export const LINE_CHARS = 46;
/** Font size and the advance of one character of the monospace font the drawing uses (DejaVu Sans Mono, Menlo, Consolas: 0.6 em). */
export const FONT_PX = 12;
const CHAR_PX = 7.3;
export const LINE_PX = 16;
/** Items of a mark's list shown in the node (all of them are in the tooltip and the words beside the drawing). */
const MARK_ITEMS = 4;
export const PAD_PX = 8;

export interface NodeLine {
  readonly text: string;
  readonly role: "kind" | "title" | "detail" | "mark" | "finding";
}

export const ICON = { mandatory: "✖", advisory: "▲", shared: "⚠", clean: "✔" } as const;

function cut(text: string): string {
  return text.length > LINE_CHARS ? `${text.slice(0, LINE_CHARS - 1)}…` : text;
}

/** The lines a node shows, in order, each already cut to LINE_CHARS. */
export function nodeLines(node: MapNode): NodeLine[] {
  const lines: NodeLine[] = [
    { text: KIND_LABEL[node.kind].toUpperCase(), role: "kind" },
    { text: cut(node.title), role: "title" },
  ];
  for (const detail of node.details) lines.push({ text: cut(detail), role: "detail" });
  for (const mark of node.marks) {
    // "SHARED by 2 tenants: a, b": the head on one line, then up to MARK_ITEMS of the list, one a line.
    const at = mark.indexOf(": ");
    const items = at < 0 ? [] : mark.slice(at + 2).split(", ");
    lines.push({ text: cut(`${ICON.shared} ${at < 0 ? mark : mark.slice(0, at + 1)}`), role: "mark" });
    for (const item of items.slice(0, MARK_ITEMS)) lines.push({ text: cut(`  ${item}`), role: "mark" });
    if (items.length > MARK_ITEMS) lines.push({ text: `  … and ${items.length - MARK_ITEMS} more`, role: "mark" });
  }
  const { mandatory, advisory } = node.findings;
  if (mandatory + advisory > 0) {
    const parts = [
      ...(mandatory > 0 ? [`${ICON.mandatory} ${mandatory} mandatory`] : []),
      ...(advisory > 0 ? [`${ICON.advisory} ${advisory} advisory`] : []),
    ];
    lines.push({ text: cut(parts.join(" · ")), role: "finding" });
  }
  return lines;
}

export interface PlacedNode {
  readonly node: MapNode;
  readonly lines: NodeLine[];
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly fallback: boolean;
  /** Polyline points, start to end. */
  readonly points: readonly { x: number; y: number }[];
}

export interface PlacedComponent {
  readonly component: MapComponent;
  /** False for a part too large to draw legibly (more than MAX_DRAWN_NODES nodes): the page gives it in words only. */
  readonly drawn: boolean;
  readonly width: number;
  readonly height: number;
  readonly nodes: PlacedNode[];
  readonly edges: PlacedEdge[];
}

const elk = new ELK();

const LAYOUT_OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.partitioning.activate": "true",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.spacing.nodeNodeBetweenLayers": "48",
  "elk.spacing.nodeNode": "16",
  "elk.spacing.edgeNode": "12",
};

/** Parts laid out per call to ELK: it lays out each connected part on its own and packs them; we take each part back out. */
const BATCH = 250;
const MARGIN = 8;

/**
 * Parts larger than this are given in words, not drawn: one sender IP shared by hundreds of tenants
 * would be a drawing tens of thousands of pixels tall, and its layout grows faster than linearly
 * (300 tenants on one IP: about 17 s).
 */
export const MAX_DRAWN_NODES = 400;

/** Lays out every part of the map, in order (each with coordinates of its own, from 0,0). */
export async function layoutMap(components: readonly MapComponent[]): Promise<PlacedComponent[]> {
  const placed = new Map<MapComponent, PlacedComponent>();
  for (const c of components)
    if (c.nodes.length > MAX_DRAWN_NODES) placed.set(c, { component: c, drawn: false, width: 0, height: 0, nodes: [], edges: [] });
  const drawable = components.filter((c) => !placed.has(c));
  // A part where no tenants meet is one tenant's chain of nodes, with no crossings to minimize: ELK's
  // quickest crossing minimization (thoroughness 1) draws it the same, in a fraction of the time.
  // Such chains repeat: parts of the same shape (kinds, sizes, edges) get the layout ELK gave the first of them.
  const shapes = new Map<string, MapComponent>();
  const sameAs = new Map<MapComponent, MapComponent>();
  for (const c of drawable) {
    if (c.meetings.length > 0) continue;
    const key = shapeOf(c);
    const first = shapes.get(key);
    if (first) sameAs.set(c, first);
    else shapes.set(key, c);
  }
  const simple = [...shapes.values()];
  const meeting = drawable.filter((c) => c.meetings.length > 0);
  for (const [parts, options] of [
    [meeting, LAYOUT_OPTIONS],
    [simple, { ...LAYOUT_OPTIONS, "elk.layered.thoroughness": "1" }],
  ] as const) {
    for (let start = 0; start < parts.length; start += BATCH) {
      const batch = parts.slice(start, start + BATCH);
      const laid = await layoutBatch(batch, options);
      for (const [i, p] of laid.entries()) placed.set(batch[i] as MapComponent, p);
    }
  }
  for (const [c, first] of sameAs) {
    const shape = placed.get(first) as PlacedComponent;
    placed.set(c, {
      ...shape,
      component: c,
      nodes: shape.nodes.map((b, i) => ({ ...b, node: c.nodes[i] as MapNode, lines: nodeLines(c.nodes[i] as MapNode) })),
      edges: shape.edges.map((e, i) => {
        const own = c.edges[i] as MapEdge;
        return { ...e, from: own.from, to: own.to, label: own.label, fallback: own.fallback === true };
      }),
    });
  }
  return components.map((c) => placed.get(c) as PlacedComponent);
}

/** A node's box: text width rounded up to a 24-pixel step, so that parts of nearly the same shape share one layout. */
function sizeOf(lines: readonly NodeLine[]): { width: number; height: number } {
  const text = Math.max(...lines.map((l) => l.text.length)) * CHAR_PX + 2 * PAD_PX;
  return { width: Math.ceil(text / 24) * 24, height: lines.length * LINE_PX + 2 * PAD_PX - 4 };
}

function shapeOf(component: MapComponent): string {
  const index = new Map(component.nodes.map((n, i) => [n.id, i]));
  const nodes = component.nodes.map((n) => {
    const { width, height } = sizeOf(nodeLines(n));
    return `${n.kind}:${width}x${height}`;
  });
  return `${nodes.join(",")}|${component.edges.map((e) => `${index.get(e.from)}-${index.get(e.to)}`).join(",")}`;
}

async function layoutBatch(components: readonly MapComponent[], layoutOptions: Record<string, string>): Promise<PlacedComponent[]> {
  const sized = components.map((component, c) => ({
    component,
    nodes: component.nodes.map((node, i) => {
      const lines = nodeLines(node);
      return { node, lines, ...sizeOf(lines), elkId: `c${c}n${i}` };
    }),
  }));
  const children: ElkNode[] = [];
  const edges: ElkExtendedEdge[] = [];
  sized.forEach(({ component, nodes }, c) => {
    const ids = new Map(nodes.map((n) => [n.node.id, n.elkId]));
    for (const n of nodes)
      children.push({
        id: n.elkId,
        width: n.width,
        height: n.height,
        layoutOptions: { "elk.partitioning.partition": String(COLUMNS.indexOf(n.node.kind)) },
      });
    component.edges.forEach((e, i) => {
      edges.push({ id: `c${c}e${i}`, sources: [ids.get(e.from) as string], targets: [ids.get(e.to) as string] });
    });
  });
  const graph = await elk.layout({ id: "root", layoutOptions, children, edges });
  const position = new Map((graph.children ?? []).map((n) => [n.id, n]));
  const routes = new Map((graph.edges ?? []).map((e) => [e.id, e.sections?.[0]]));
  return sized.map(({ component, nodes }, c) => {
    const boxes = nodes.map((n) => {
      const p = position.get(n.elkId);
      return { ...n, x: p?.x ?? 0, y: p?.y ?? 0 };
    });
    const lines = component.edges.map((e, i) => {
      const section = routes.get(`c${c}e${i}`);
      const points = section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint] : [];
      return { from: e.from, to: e.to, label: e.label, fallback: e.fallback === true, points };
    });
    const xs = [...boxes.map((b) => b.x), ...lines.flatMap((l) => l.points.map((p) => p.x))];
    const ys = [...boxes.map((b) => b.y), ...lines.flatMap((l) => l.points.map((p) => p.y))];
    const dx = MARGIN - Math.min(...xs);
    const dy = MARGIN - Math.min(...ys);
    const placedNodes = boxes.map(({ elkId: _id, ...b }) => ({ ...b, x: b.x + dx, y: b.y + dy }));
    const placedEdges = lines.map((l) => ({ ...l, points: l.points.map((p) => ({ x: p.x + dx, y: p.y + dy })) }));
    const width = Math.max(...placedNodes.map((b) => b.x + b.width), ...placedEdges.flatMap((l) => l.points.map((p) => p.x))) + MARGIN;
    const height = Math.max(...placedNodes.map((b) => b.y + b.height), ...placedEdges.flatMap((l) => l.points.map((p) => p.y))) + MARGIN;
    return { component, drawn: true, width: Math.ceil(width), height: Math.ceil(height), nodes: placedNodes, edges: placedEdges };
  });
}
