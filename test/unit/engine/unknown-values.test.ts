import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture } from "../../support/inventory";

const MESSAGE = `Cannot verify InboundConnector "contoso-inbound": 'tlsSenderCertificateName' is not known during preview.`;

function unknownName(): InventoryFixture {
  const fixture = new InventoryFixture();
  fixture.inbound("contoso").tlsSenderCertificateName = undefined;
  fixture.inbound("contoso").senderIPAddresses = ["203.0.113.5"];
  fixture.inbound("contoso").unknown = ["tlsSenderCertificateName"];
  return fixture;
}

describe("security-values-known", () => {
  it("fails closed: an unknown certificate name is one mandatory finding, and no other rule treats it as missing", () => {
    const findings = unknownName().findings();
    assert.deepEqual(
      findings.map((finding) => [finding.ruleId, finding.severity, finding.message]),
      [["security-values-known", "mandatory", MESSAGE]],
    );
    assert.equal(
      findings[0]?.remediation,
      `Pass 'tlsSenderCertificateName' as a plain value rather than another resource's output, or run \`pulumi up\` with the gate again once it is known; to let previews pass meanwhile, set the policy config unknownValues to "advisory".`,
    );
  });

  it("is advisory when unknownValues is configured so", () => {
    const findings = unknownName().findings(undefined, { unknownValues: "advisory" });
    assert.deepEqual(
      findings.map((finding) => [finding.severity, finding.message]),
      [["advisory", MESSAGE]],
    );
  });

  it("reports each unknown security field once, by its base name, and ignores other fields", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("fabrikam").unknown = ["senderIPAddresses[0]", "senderIPAddresses[1]", "comment"];
    fixture.send("tailspin").unknown = ["smartHosts", "tlsCertificateName"];
    assert.deepEqual(fixture.messages("security-values-known"), [
      `Cannot verify InboundConnector "fabrikam-inbound": 'senderIPAddresses' is not known during preview.`,
      `Cannot verify SendConnector "tailspin-send": 'smartHosts' is not known during preview.`,
      `Cannot verify SendConnector "tailspin-send": 'tlsCertificateName' is not known during preview.`,
    ]);
  });

  it("keeps IP and send-connector checks from guessing unknown values", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").senderIPAddresses = ["2001:db8::1", "40.107.0.1"];
    fixture.inbound("contoso").unknown = ["senderIPAddresses"];
    Object.assign(fixture.send("fabrikam"), {
      smartHosts: [],
      addressSpaces: [],
      tlsCertificateName: undefined,
      certificateThumbprint: undefined,
    });
    fixture.send("fabrikam").unknown = ["smartHosts", "addressSpaces", "tlsCertificateName", "certificateThumbprint"];
    assert.deepEqual(
      fixture.findings().map((finding) => finding.ruleId),
      ["security-values-known", "security-values-known", "security-values-known", "security-values-known", "security-values-known"],
    );
  });
});

describe("severity overrides", () => {
  it("disables a rule or lowers it to advisory", () => {
    assert.deepEqual(unknownName().findings(undefined, { severity: { "security-values-known": "disabled" } }), []);
    const fixture = new InventoryFixture();
    fixture.send("contoso").requireTls = false;
    const [finding] = fixture.findings(undefined, { severity: { "send-connector-tls": "advisory" } });
    assert.equal(finding?.ruleId, "send-connector-tls");
    assert.equal(finding?.severity, "advisory");
    assert.deepEqual(fixture.findings(undefined, { severity: { "send-connector-tls": "disabled" } }), []);
  });

  it("overrides by policy name, as the pack does: <id>-advisory governs the rule's advisory findings", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").tlsSenderCertificateName = "*.contoso.com";
    const [raised] = fixture.findings("inbound-connector-settings", { severity: { "inbound-connector-settings-advisory": "mandatory" } });
    assert.equal(raised?.severity, "mandatory");
    // The rule's own policy is its mandatory part; it leaves the advisory finding as it is.
    const [kept] = fixture.findings("inbound-connector-settings", { severity: { "inbound-connector-settings": "disabled" } });
    assert.equal(kept?.severity, "advisory");
    assert.deepEqual(
      fixture.findings("inbound-connector-settings", { severity: { "inbound-connector-settings-advisory": "disabled" } }),
      [],
    );
  });
});

describe("unknown values from the Pulumi source", () => {
  it("an unknown acceptedDomains or certificatePem is reported once, not as a missing tenant or certificate", () => {
    const fixture = new InventoryFixture();
    fixture.tenants.splice(fixture.tenants.indexOf(fixture.tenant("contoso")), 1);
    fixture.inbound("contoso").unknown = ["acceptedDomains"];
    fixture.certificates.splice(fixture.certificates.indexOf(fixture.certificate("fabrikam")), 1);
    fixture.send("fabrikam").certificateThumbprint = undefined;
    fixture.send("fabrikam").unknown = ["certificatePem"];
    assert.deepEqual(fixture.messages(), [
      `Cannot verify InboundConnector "contoso-inbound": 'acceptedDomains' is not known during preview.`,
      `Cannot verify SendConnector "fabrikam-send": 'certificatePem' is not known during preview.`,
    ]);
  });
});
