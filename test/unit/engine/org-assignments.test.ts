import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type EngineConfigInput, resolveConfig } from "../../../policy/src/engine";
import { InventoryFixture } from "../../support/inventory";

describe("org-wide assignment table", () => {
  it("reports a certificate, a certificate name and a sender IP already assigned to another stack's tenant", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").senderIPAddresses = ["203.0.113.10"];
    const thumbprint = fixture.certificate("contoso").thumbprint;
    const config: EngineConfigInput = {
      orgAssignments: {
        version: 1,
        tenants: {
          "northwind.onmicrosoft.com": {
            certificateThumbprints: [thumbprint],
            certificateNames: ["Relay.Fabrikam.com."],
            senderIPAddresses: ["203.0.113.0/24"],
            source: "stack northwind/prod",
          },
          // The stack's own tenants in the table are not conflicts.
          "contoso.onmicrosoft.com": {
            certificateThumbprints: [thumbprint],
            certificateNames: ["relay.contoso.com"],
            senderIPAddresses: ["203.0.113.10"],
          },
        },
      },
    };
    assert.deepEqual(fixture.messages("certificate-not-shared-across-tenants", config), [
      `Certificate ${thumbprint} of tenant "contoso.onmicrosoft.com" is already assigned to "northwind.onmicrosoft.com" in the org-wide inventory.`,
      `Certificate name "relay.fabrikam.com" of tenant "fabrikam.onmicrosoft.com" is already assigned to "northwind.onmicrosoft.com" in the org-wide inventory.`,
    ]);
    const [ip, ...rest] = fixture.findings("sender-ip-not-shared", config);
    assert.deepEqual(rest, []);
    assert.equal(
      ip?.message,
      `'SenderIPAddresses' entry "203.0.113.10" of inbound connector "contoso-inbound" (tenant "contoso.onmicrosoft.com") overlaps "203.0.113.0/24" assigned to tenant "northwind.onmicrosoft.com" in the org-wide inventory (overlap: 203.0.113.10). Exchange Online cannot tell these senders' mail apart by IP.`,
    );
    assert.deepEqual(ip?.related, [{ kind: "tenant", name: "northwind.onmicrosoft.com", source: "stack northwind/prod" }]);
  });

  it("normalizes the table once, when the config is resolved, and names a bad entry", () => {
    const resolved = resolveConfig({
      orgAssignments: {
        version: 1,
        tenants: {
          "Northwind.OnMicrosoft.com.": {
            certificateThumbprints: ["aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"],
            certificateNames: ["Relay.Northwind.com."],
          },
        },
      },
    });
    assert.deepEqual(resolved.orgAssignments?.tenants, {
      "northwind.onmicrosoft.com": {
        certificateThumbprints: ["AABBCCDDEEFF00112233445566778899AABBCCDD"],
        certificateNames: ["relay.northwind.com"],
        senderIPAddresses: [],
        sendConnectors: [],
      },
    });
    assert.throws(
      () =>
        resolveConfig(
          { orgAssignments: { version: 1, tenants: { "northwind.onmicrosoft.com": { certificateNames: ["relay northwind"] } } } },
          "org.json",
        ),
      {
        message:
          'org.json: \'orgAssignments.tenants["northwind.onmicrosoft.com"].certificateNames[0]\' "relay northwind" is not a valid DNS domain. Use a fully qualified name such as relay.contoso.com (letters, digits and hyphens, at least two labels).',
      },
    );
  });
});
