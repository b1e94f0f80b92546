import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifySenderAddress,
  contains,
  normalizeAddressSpace,
  normalizeDomain,
  overlaps,
  parseIpv4Block,
} from "../../../policy/src/engine";

describe("normalizeDomain", () => {
  it("lower-cases, strips the trailing dot and converts IDN to punycode", () => {
    assert.equal(normalizeDomain("Relay.Contoso.com.", "f"), "relay.contoso.com");
    assert.equal(normalizeDomain("relay.bücher.example", "f"), "relay.xn--bcher-kva.example");
    assert.equal(normalizeDomain("*.Contoso.com", "f"), "*.contoso.com");
  });

  it("names the field and the value when the input is not a domain", () => {
    assert.throws(() => normalizeDomain("", "tenants[0].certificateName"), {
      message: "'tenants[0].certificateName' \"\" is empty. Give a DNS domain such as relay.contoso.com.",
    });
    assert.throws(() => normalizeDomain("relay contoso", "certificateName"), {
      message:
        "'certificateName' \"relay contoso\" is not a valid DNS domain. Use a fully qualified name such as relay.contoso.com (letters, digits and hyphens, at least two labels).",
    });
    assert.throws(() => normalizeDomain("localhost", "certificateName"), /is not a valid DNS domain/);
  });
});

describe("normalizeAddressSpace", () => {
  it("drops the address type and cost the way Exchange writes them", () => {
    assert.equal(normalizeAddressSpace("smtp:*;1"), "*");
    assert.equal(normalizeAddressSpace("*"), "*");
    assert.equal(normalizeAddressSpace("SMTP:Contoso.Mail.OnMicrosoft.com.;1"), "contoso.mail.onmicrosoft.com");
    assert.equal(normalizeAddressSpace(" contoso.com "), "contoso.com");
  });
});

describe("IPv4 blocks", () => {
  it("parses addresses and CIDRs canonically", () => {
    assert.deepEqual(parseIpv4Block("203.0.113.7", "f"), { text: "203.0.113.7", prefix: 32, first: 3405803783, last: 3405803783 });
    assert.equal(parseIpv4Block("203.0.113.77/24", "f").text, "203.0.113.0/24");
  });

  it("detects overlap that is not equality", () => {
    const wide = parseIpv4Block("203.0.113.0/24", "a");
    const half = parseIpv4Block("203.0.113.128/25", "b");
    const single = parseIpv4Block("203.0.113.200", "c");
    const other = parseIpv4Block("198.51.100.0/24", "d");
    assert.equal(overlaps(wide, half), true);
    assert.equal(overlaps(half, single), true);
    assert.equal(contains(wide, single), true);
    assert.equal(overlaps(wide, other), false);
  });

  it("classifies what Exchange Online rejects instead of throwing", () => {
    assert.equal(classifySenderAddress("2001:db8::1").kind, "ipv6");
    assert.equal(classifySenderAddress("203.0.113.1-203.0.113.9").kind, "range");
    assert.equal(classifySenderAddress("203.0.113.0/33").kind, "malformed");
    assert.equal(classifySenderAddress("300.1.1.1").kind, "malformed");
  });

  it("names the field and the value on bad input", () => {
    assert.throws(() => parseIpv4Block("2001:db8::/32", "senderIPAddresses[1]"), {
      message: "'senderIPAddresses[1]' \"2001:db8::/32\" is an IPv6 address. Only IPv4 addresses and CIDR blocks are supported here.",
    });
    assert.throws(() => parseIpv4Block("203.0.113.0/", "senderIPAddresses[0]"), {
      message:
        "'senderIPAddresses[0]' \"203.0.113.0/\" is not an IPv4 address or CIDR block. Use a.b.c.d or a.b.c.d/n with n from 0 to 32.",
    });
  });
});
