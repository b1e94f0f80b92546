import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rules } from "../../../policy/src/engine";
import { InventoryFixture } from "../../support/inventory";

describe("a clean inventory", () => {
  it("yields no findings: three tenants, each with its own certificate, send connector and inbound connector", () => {
    const fixture = new InventoryFixture();
    assert.equal(fixture.tenants.length, 3);
    assert.deepEqual(fixture.findings(), []);
  });

  it("registers every rule once, with a kebab-case id, a 'Checks that' description and a source", () => {
    const ids = rules.map((rule) => rule.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, 14);
    for (const rule of rules) {
      assert.match(rule.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, rule.id);
      assert.match(rule.description, /^Checks that .+\.$/, rule.id);
      assert.ok(rule.source.length > 0, rule.id);
    }
    assert.ok(ids.includes("certificate-not-shared-across-tenants"));
  });
});
