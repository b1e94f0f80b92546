import type { InboundConnector } from "../../policy/src/engine";
import { type ExchangeProblem, readAcceptedDomains, readInboundConnectors } from "../../policy/src/sources/exchange";
import type { Collection } from "../collect";
import { printable } from "./printable";

/**
 * CISA ScubaGear's ProviderSettingsExport.json, one per tenant. Its Exchange Online provider
 * (PowerShell/ScubaGear/Modules/Providers/ExportEXOProvider.psm1, Export-EXOProvider) writes
 * `"accepted_domains": ConvertTo-Json @(Get-AcceptedDomain)` and
 * `"inbound_connectors": ConvertTo-Json @(Get-InboundConnector) -Depth 4`, and lists the cmdlets
 * that failed in `exo_unsuccessful_commands`. The records are the ExchangeOnlineManagement objects,
 * so the one Exchange normalizer reads them. Returns the tenant's name when one was read.
 */
export function readScubaExport(
  value: Record<string, unknown>,
  shown: string,
  tenantHint: string | undefined,
  collection: Collection,
): string | undefined {
  const prefixed = (key: string, problems: readonly ExchangeProblem[]) =>
    problems.map((p) => ({ ...p, path: p.path === "" ? key : `${key}${p.path.startsWith("[") ? "" : "."}${p.path}` }));
  const failed = Array.isArray(value.exo_unsuccessful_commands) ? value.exo_unsuccessful_commands.map(String) : [];
  for (const cmdlet of ["Get-AcceptedDomain", "Get-InboundConnector"]) {
    if (failed.some((c) => c.toLowerCase() === cmdlet.toLowerCase())) {
      collection.problems.push(
        printable(
          `${shown}: ScubaGear could not run ${cmdlet} for this tenant (it is listed in exo_unsuccessful_commands); its output is missing. Run ScubaGear again with the Exchange Online permissions it documents.`,
        ),
      );
    }
  }
  for (const key of ["accepted_domains", "inbound_connectors"]) {
    if (!(key in value)) {
      collection.problems.push(
        printable(
          `${shown}: has no "${key}"; ScubaGear versions that do not export ${key === "accepted_domains" ? "Get-AcceptedDomain" : "Get-InboundConnector"} cannot be audited alone. Add ${key === "accepted_domains" ? "AcceptedDomain.xml" : "InboundConnector.xml"} (Export-Clixml) to the same folder or use a newer ScubaGear.`,
        ),
      );
    } else if (!Array.isArray(value[key])) {
      collection.problems.push(
        printable(`${shown}: ${key} is ${JSON.stringify(value[key])?.slice(0, 40)}, not an array (ScubaGear writes ConvertTo-Json @(...))`),
      );
    }
  }
  if (!Array.isArray(value.accepted_domains)) return undefined;
  const accepted = readAcceptedDomains(value.accepted_domains, shown, tenantHint);
  collection.addProblems(prefixed("accepted_domains", accepted.problems));
  const tenant = accepted.items[0];
  if (tenant === undefined) {
    collection.notRead.push({ input: printable(shown), reason: "tenant not audited: no readable accepted_domains" });
    return undefined;
  }
  let connectors: InboundConnector[] = [];
  if (Array.isArray(value.inbound_connectors)) {
    const inbound = readInboundConnectors(value.inbound_connectors, shown, tenant.name, { addOnService: collection.addOnService });
    collection.addProblems(prefixed("inbound_connectors", inbound.problems));
    connectors = inbound.items;
  }
  collection.addTenant(tenant, connectors, shown);
  return tenant.name;
}
