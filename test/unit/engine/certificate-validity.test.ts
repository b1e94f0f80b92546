import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture, testCertificate } from "../../support/inventory";

const RULE = "certificate-validity";

describe(RULE, () => {
  const fixture = new InventoryFixture();
  const expired = testCertificate(
    { dnsNames: ["relay.contoso.com"], notAfter: new Date("2026-03-01T00:00:00Z") },
    { tenant: "contoso.onmicrosoft.com" },
  );
  const expiring = testCertificate(
    { dnsNames: ["relay.fabrikam.com"], notAfter: new Date("2026-07-01T12:00:00Z") },
    { tenant: "fabrikam.onmicrosoft.com" },
  );
  fixture.useCertificate("contoso", expired).useCertificate("fabrikam", expiring);

  it("reports an expired certificate as mandatory and one inside the window as advisory", () => {
    const findings = fixture.findings(RULE, { now: "2026-06-01T00:00:00Z" });
    assert.deepEqual(
      findings.map((finding) => [finding.severity, finding.message]),
      [
        [
          "mandatory",
          `Certificate ${expired.thumbprint} ("relay.contoso.com") expired on 2026-03-01; TLS to Exchange Online with it fails.`,
        ],
        ["advisory", `Certificate ${expiring.thumbprint} ("relay.fabrikam.com") expires on 2026-07-01, within the 60-day warning window.`],
      ],
    );
    assert.equal(findings[0]?.tenant, "contoso.onmicrosoft.com");
  });

  it("follows config.now and expiryWarningDays", () => {
    assert.deepEqual(fixture.messages(RULE, { now: "2026-02-01T00:00:00Z", expiryWarningDays: 10 }), []);
    assert.deepEqual(fixture.messages(RULE, { now: "2026-06-01T00:00:00Z", expiryWarningDays: 10 }), [
      `Certificate ${expired.thumbprint} ("relay.contoso.com") expired on 2026-03-01; TLS to Exchange Online with it fails.`,
    ]);
  });

  it("ignores certificates on no tenant path", () => {
    const unused = new InventoryFixture(["contoso"]);
    unused.certificates.push(
      testCertificate({
        dnsNames: ["old.contoso.com"],
        notAfter: new Date("2020-01-01T00:00:00Z"),
        notBefore: new Date("2019-01-01T00:00:00Z"),
      }),
    );
    assert.deepEqual(unused.messages(RULE), []);
  });
});
