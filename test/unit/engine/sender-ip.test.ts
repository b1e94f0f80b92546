import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InventoryFixture } from "../../support/inventory";

const SHARED = "sender-ip-not-shared";
const ACCEPTED = "sender-ip-accepted-by-exchange-online";
const PREFER_CERT = "certificate-auth-preferred";

describe(SHARED, () => {
  it("reports a /24 of one tenant against a /25 inside it of another", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").senderIPAddresses = ["203.0.113.0/24"];
    fixture.inbound("fabrikam").senderIPAddresses = ["203.0.113.128/25"];
    const [finding, ...rest] = fixture.findings(SHARED);
    assert.deepEqual(rest, []);
    assert.equal(
      finding?.message,
      `'SenderIPAddresses' entry "203.0.113.0/24" of inbound connector "contoso-inbound" (tenant "contoso.onmicrosoft.com") overlaps "203.0.113.128/25" of inbound connector "fabrikam-inbound" (tenant "fabrikam.onmicrosoft.com") (overlap: 203.0.113.128/25). Exchange Online cannot tell these senders' mail apart by IP.`,
    );
    assert.equal(
      finding?.remediation,
      `Authenticate by certificate instead (Set-InboundConnector "contoso-inbound" -TlsSenderCertificateName <an accepted domain of this tenant> -SenderIPAddresses $null), or list only an egress IP dedicated to this tenant.`,
    );
    assert.deepEqual(finding?.related, [{ kind: "inboundConnector", name: "fabrikam-inbound" }]);
  });

  it("reports a single IP inside another tenant's CIDR", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("fabrikam").senderIPAddresses = ["198.51.100.0/24"];
    fixture.inbound("tailspin").senderIPAddresses = ["198.51.100.77"];
    assert.deepEqual(fixture.messages(SHARED), [
      `'SenderIPAddresses' entry "198.51.100.0/24" of inbound connector "fabrikam-inbound" (tenant "fabrikam.onmicrosoft.com") overlaps "198.51.100.77" of inbound connector "tailspin-inbound" (tenant "tailspin.onmicrosoft.com") (overlap: 198.51.100.77). Exchange Online cannot tell these senders' mail apart by IP.`,
    ]);
  });

  it("reports an IP inside Exchange Online's own range 40.107.0.0/16 and inside a configured vendor pool", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").senderIPAddresses = ["40.107.3.4", "192.0.2.0/24"];
    assert.deepEqual(fixture.messages(SHARED, { knownSharedRanges: ["192.0.2.128/25"] }), [
      `'SenderIPAddresses' entry "40.107.3.4" of inbound connector "contoso-inbound" (tenant "contoso.onmicrosoft.com") overlaps "40.107.0.0/16" in Exchange Online range 40.107.0.0/16, which is not dedicated to any tenant (overlap: 40.107.3.4). Exchange Online cannot tell these senders' mail apart by IP.`,
      `'SenderIPAddresses' entry "192.0.2.0/24" of inbound connector "contoso-inbound" (tenant "contoso.onmicrosoft.com") overlaps "192.0.2.128/25" in known shared range 192.0.2.128/25, which is not dedicated to any tenant (overlap: 192.0.2.128/25). Exchange Online cannot tell these senders' mail apart by IP.`,
    ]);
  });

  it("does not report one tenant's connectors sharing an IP, nor disjoint neighbours", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").senderIPAddresses = ["203.0.113.0/25"];
    fixture.inbound("fabrikam").senderIPAddresses = ["203.0.113.128/25"];
    fixture.inboundConnectors.push({
      ...fixture.inbound("contoso"),
      name: "contoso-inbound-2",
      ref: { kind: "inboundConnector", name: "contoso-inbound-2" },
    });
    assert.deepEqual(fixture.messages(SHARED), []);
  });
});

describe(ACCEPTED, () => {
  it("reports IPv6, a /23, a range and garbage as refused (mandatory) and a private address as accepted but never matching (advisory)", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").senderIPAddresses = [
      "2001:db8::1",
      "203.0.112.0/23",
      "203.0.113.1-203.0.113.9",
      "10.1.2.3",
      "mail",
      "203.0.113.5",
    ];
    assert.deepEqual(
      fixture.findings(ACCEPTED).map((f) => [f.severity, f.message]),
      [
        [
          "mandatory",
          `'SenderIPAddresses' entry "2001:db8::1" of inbound connector "contoso-inbound" is an IPv6 address; Exchange Online accepts only IPv4 sender addresses.`,
        ],
        [
          "mandatory",
          `'SenderIPAddresses' entry "203.0.112.0/23" of inbound connector "contoso-inbound" is a /23; Exchange Online accepts prefixes from /24 to /32 only.`,
        ],
        [
          "mandatory",
          `'SenderIPAddresses' entry "203.0.113.1-203.0.113.9" of inbound connector "contoso-inbound" is an address range; write it as IPv4 CIDR blocks from /24 to /32.`,
        ],
        ["mandatory", `'SenderIPAddresses' entry "mail" of inbound connector "contoso-inbound" is not an IPv4 address or CIDR block.`],
        [
          "advisory",
          `'SenderIPAddresses' entry "10.1.2.3" of inbound connector "contoso-inbound" is in the private or reserved range 10.0.0.0/8. Exchange Online accepts it, but it never matches: servers reach Exchange Online from public addresses.`,
        ],
      ],
    );
  });
});

describe(PREFER_CERT, () => {
  it("advises certificate authentication for an IP-only OnPremises connector", () => {
    const fixture = new InventoryFixture();
    fixture.inbound("contoso").tlsSenderCertificateName = undefined;
    fixture.inbound("contoso").senderIPAddresses = ["203.0.113.5"];
    const [finding, ...rest] = fixture.findings(PREFER_CERT);
    assert.deepEqual(rest, []);
    assert.equal(finding?.severity, "advisory");
    assert.equal(
      finding?.message,
      `OnPremises inbound connector "contoso-inbound" authenticates by IP only ('SenderIPAddresses' "203.0.113.5"; no 'TlsSenderCertificateName').`,
    );
  });
});
