/** A resource row of Pulumi's non-interactive display: ` +  <type> <name> <status> [(<time>)] [<message>]`. */
const RESOURCE_ROW = /^ ([+~-]|\+-|-\+| ) {1,2}(\S+:\S+) (\S+) (\S+)(?: \((\d+s)\))?(?: .*)?$/;

/**
 * Pulumi's non-interactive display prints a resource's row again at every change of its status or
 * message (a create is "creating" then "created"; each info message a component logs is a row of its
 * own, and again under Diagnostics). The demo shows one row per resource, with its last status;
 * messages appear once, under Diagnostics.
 */
export function oneRowPerResource(output: string): string {
  const out: string[] = [];
  let rows = new Map<string, string>();
  const flush = () => {
    out.push(...rows.values());
    rows = new Map();
  };
  for (const line of output.split("\n")) {
    if (/^@ /.test(line)) continue;
    const row = RESOURCE_ROW.exec(line);
    if (row) {
      const key = `${row[2]} ${row[3]}`;
      // Map order is first appearance; the row kept is the last one seen.
      rows.set(key, ` ${row[1]}  ${row[2]} ${row[3]} ${row[4]}${row[5] ? ` (${row[5]})` : ""}`);
      continue;
    }
    flush();
    out.push(line);
  }
  flush();
  return out.join("\n");
}
