import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture } from "../../support/inventory";

const RULE = "tenant-declared-once";

describe(RULE, () => {
  it("passes the happy-path inventory", () => {
    assert.deepEqual(new InventoryFixture().findings(RULE), []);
  });

  it("reports two Send Connectors of one name, whatever the case, naming the tenant declared twice", () => {
    const fixture = new InventoryFixture(["contoso"]);
    fixture.addTenantPath("contoso");
    fixture.sendConnectors[1] = { ...(fixture.sendConnectors[1] as (typeof fixture.sendConnectors)[number]), name: "CONTOSO-send" };
    fixture.inboundConnectors[1] = {
      ...(fixture.inboundConnectors[1] as (typeof fixture.inboundConnectors)[number]),
      ref: { kind: "inboundConnector", name: "second" },
    };
    fixture.tenants.splice(1, 1);
    assert.deepEqual(fixture.messages(RULE), [
      '2 inbound connectors are named "contoso-inbound" in tenant "contoso.onmicrosoft.com": tenant "contoso.onmicrosoft.com" is declared more than once (tenant names compare case-insensitively). Exchange refuses the second one ("already exists").',
      '2 Send Connectors are named "contoso-send" in one on-premises organization: tenant "contoso.onmicrosoft.com" is declared more than once (tenant names compare case-insensitively). Exchange refuses the second one ("already exists").',
    ]);
  });

  it("does not compare connectors read from different exports (different organizations)", () => {
    const fixture = new InventoryFixture(["contoso", "fabrikam"]);
    const [a, b] = fixture.sendConnectors as [(typeof fixture.sendConnectors)[number], (typeof fixture.sendConnectors)[number]];
    a.name = "Outbound to Office 365";
    b.name = "Outbound to Office 365";
    a.ref = { ...a.ref, source: "org-a/_onprem/SendConnector.json" };
    b.ref = { ...b.ref, source: "org-b/_onprem/SendConnector.json" };
    assert.deepEqual(fixture.messages(RULE), []);
  });
});
