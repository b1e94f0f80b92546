import { inventoryFromPulumiResources } from "../../policy/src/sources/pulumi";
import type { Collection } from "../collect";
import { printable } from "./printable";

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : JSON.stringify(value);
}

/** A `pulumi stack export` file (it has a `deployment` key). A deployment or resource of another shape is a problem, never "no resources". */
export function readStackExport(value: Record<string, unknown>, shown: string, collection: Collection): void {
  const problem = (text: string) => collection.problems.push(printable(`${shown}: ${text}`));
  const deployment = asRecord(value.deployment);
  if (deployment === undefined) {
    problem(`deployment is ${kindOf(value.deployment)}, not an object; this is not a complete "pulumi stack export". Export it again.`);
    collection.markPartlyRead(undefined);
    return;
  }
  const resources = deployment.resources;
  if (resources === undefined) return; // a stack with no resources yet
  if (!Array.isArray(resources)) {
    problem(`deployment.resources is ${kindOf(resources)}, not an array; this is not a complete "pulumi stack export". Export it again.`);
    collection.markPartlyRead(undefined);
    return;
  }
  const before = collection.problems.length;
  const normalized = resources.flatMap((resource: unknown, i) => {
    const r = asRecord(resource);
    if (r === undefined || typeof r.type !== "string" || typeof r.urn !== "string") {
      problem(`deployment.resources[${i}] is not a resource with a "type" and a "urn" string`);
      return [];
    }
    const name = r.urn.split("::").at(-1) ?? r.urn;
    const props = { ...(asRecord(r.inputs) ?? {}), ...(asRecord(r.outputs) ?? {}) };
    // Dynamic providers store their provider code in __provider: not a connector property.
    delete props.__provider;
    return [{ type: r.type, urn: r.urn, name, props }];
  });
  const result = inventoryFromPulumiResources(normalized, shown);
  for (const text of result.problems) problem(text);
  if (collection.problems.length > before) collection.markPartlyRead(undefined);
  collection.addInventory(result.inventory);
  collection.tenantsSeen += result.inventory.tenants.length;
}
