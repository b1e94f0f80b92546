import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { oneRowPerResource } from "../../../demo/pulumi-display";

/** Rows as Pulumi 3.276's non-interactive display printed them for the brownfield stack (e2e, 2026-12-01). */
const NOTE = 'adopts the Send Connector "Outbound to adatum.onmicrosoft.com" by name if it exists and this stack does not manage it yet';
const PREVIEW = [
  "Previewing update (migration):",
  "@ previewing update....",
  " +  pulumi:pulumi:Stack mailflow-guard-migration create ",
  " +  mailflow:exchange:TenantConnectorPair hybrid-adatum create ",
  ` +  mailflow:exchange:TenantConnectorPair hybrid-adatum create ${NOTE}`,
  " +  mailflow:exchange:SendConnector hybrid-adatum-send create ",
  " +  pulumi:pulumi:Stack mailflow-guard-migration create ",
  "Diagnostics:",
  "  mailflow:exchange:TenantConnectorPair (hybrid-adatum):",
  `    ${NOTE}`,
  "",
  "Resources:",
  "    + 3 to create",
].join("\n");
const UP = [
  "Updating (demo):",
  " +  mailflow:exchange:SendConnector hybrid-contoso-send creating (0s) ",
  " +  mailflow:exchange:InboundConnector hybrid-contoso-inbound creating (0s) ",
  " +  mailflow:exchange:SendConnector hybrid-contoso-send created (1s) ",
  " +  mailflow:exchange:InboundConnector hybrid-contoso-inbound created (2s) ",
  "Resources:",
].join("\n");

describe("demo: one row per resource", () => {
  it("prints each resource once, in order of appearance, and the adoption note once (under Diagnostics)", () => {
    assert.equal(
      oneRowPerResource(PREVIEW),
      [
        "Previewing update (migration):",
        " +  pulumi:pulumi:Stack mailflow-guard-migration create",
        " +  mailflow:exchange:TenantConnectorPair hybrid-adatum create",
        " +  mailflow:exchange:SendConnector hybrid-adatum-send create",
        "Diagnostics:",
        "  mailflow:exchange:TenantConnectorPair (hybrid-adatum):",
        `    ${NOTE}`,
        "",
        "Resources:",
        "    + 3 to create",
      ].join("\n"),
    );
  });

  it("keeps a resource's last status: created, not creating", () => {
    assert.equal(
      oneRowPerResource(UP),
      [
        "Updating (demo):",
        " +  mailflow:exchange:SendConnector hybrid-contoso-send created (1s)",
        " +  mailflow:exchange:InboundConnector hybrid-contoso-inbound created (2s)",
        "Resources:",
      ].join("\n"),
    );
  });
});
