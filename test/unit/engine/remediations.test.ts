import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exchangeTlsCertificateName, type Finding } from "../../../policy/src/engine";
import { rules as RULES } from "../../../policy/src/engine/rules";
import { type InboundInput, InventoryFixture, type SendInput, testCertificate } from "../../support/inventory";

// A suggested fix never proposes what another rule refuses: each fix the findings offer is applied
// to the inventory and the engine run again; the finding goes and no new one comes.
const key = (f: Finding) => `${f.ruleId} ${f.resource.kind}:${f.resource.name} ${f.tenant ?? ""}`;

/** The fixes this test knows how to apply, read from the remediation text a person would follow. */
function applyFixes(fixture: InventoryFixture, finding: Finding): InventoryFixture[] {
  const applied: InventoryFixture[] = [];
  const rename = /set TlsSenderCertificateName of inbound connector "([^"]+)" \(Set-InboundConnector\) to ([^,\s]+),/.exec(
    finding.remediation,
  );
  if (rename) {
    const copy = clone(fixture);
    const inbound = copy.inboundConnectors.find((c) => c.name === rename[1]);
    assert.ok(inbound, `remediation names an unknown connector: ${finding.remediation}`);
    inbound.tlsSenderCertificateName = rename[2];
    applied.push(copy);
  }
  const own = /^Use a certificate (?:of (\S+)'s own )?whose SAN contains (\S+) on Send Connector "([^"]+)"/.exec(finding.remediation);
  if (own) {
    const copy = clone(fixture);
    const send = copy.sendConnectors.find((c) => c.name === own[3]);
    assert.ok(send);
    const prefix = (send.tenants[0] as string).split(".")[0] as string;
    copy.useCertificate(
      prefix,
      testCertificate({ dnsNames: [own[2] as string], organization: prefix }, { tenant: send.tenants[0] as string }),
    );
    applied.push(copy);
  }
  return applied;
}

function clone(fixture: InventoryFixture): InventoryFixture {
  const copy = new InventoryFixture([]);
  const snapshot = structuredClone(fixture.snapshot());
  copy.tenants.push(...snapshot.tenants);
  copy.inboundConnectors.push(...snapshot.inboundConnectors);
  copy.sendConnectors.push(...snapshot.sendConnectors);
  copy.certificates.push(...snapshot.certificates);
  return copy;
}

function assertFixesAreSafe(fixture: InventoryFixture, ruleId: string): number {
  const before = fixture.findings();
  let checked = 0;
  for (const finding of before.filter((f) => f.ruleId === ruleId)) {
    for (const fixed of applyFixes(fixture, finding)) {
      checked++;
      const after = fixed.findings();
      const known = new Set(before.map(key));
      assert.deepEqual(
        after.filter((f) => !known.has(key(f))).map((f) => `${f.ruleId}: ${f.message}`),
        [],
        `the fix "${finding.remediation}" brings new findings`,
      );
      assert.equal(
        after.some((f) => key(f) === key(finding)),
        false,
        `the fix "${finding.remediation}" does not remove the finding`,
      );
    }
  }
  return checked;
}

describe("certificate-covers-sender-name's fixes pass every rule", () => {
  it("fabrikam reusing contoso's certificate is never told to name relay.contoso.com", () => {
    const fixture = new InventoryFixture();
    fixture.useCertificate("fabrikam", fixture.certificate("contoso"));
    const [finding] = fixture.findings("certificate-covers-sender-name");
    assert.equal(
      finding?.remediation,
      `Use a certificate of fabrikam.onmicrosoft.com's own whose SAN contains relay.fabrikam.com on Send Connector "fabrikam-send" (Set-SendConnector -TlsCertificateName).`,
    );
    assert.equal(assertFixesAreSafe(fixture, "certificate-covers-sender-name"), 1);
  });

  it("offers the tenant's own accepted domain the certificate presents, and that fix is clean", () => {
    const fixture = new InventoryFixture();
    fixture.useCertificate(
      "contoso",
      testCertificate({ dnsNames: ["contoso.com"], organization: "contoso" }, { tenant: "contoso.onmicrosoft.com" }),
    );
    const [finding] = fixture.findings("certificate-covers-sender-name");
    assert.equal(
      finding?.remediation,
      `Use a certificate whose SAN contains relay.contoso.com on Send Connector "contoso-send" (Set-SendConnector -TlsCertificateName), or set TlsSenderCertificateName of inbound connector "contoso-inbound" (Set-InboundConnector) to contoso.com, an accepted domain of contoso.onmicrosoft.com that the certificate presents.`,
    );
    assert.equal(assertFixesAreSafe(fixture, "certificate-covers-sender-name"), 2);
  });
});

// Every rule: a violation planted, each fix its findings suggest applied as a person would read it,
// and the engine run again. The fixes written as cmdlets are applied from their text; those written
// in words are translated below, each next to the words it follows.
const INBOUND_FIELDS: Readonly<Record<string, keyof InboundInput>> = {
  TlsSenderCertificateName: "tlsSenderCertificateName",
  SenderIPAddresses: "senderIPAddresses",
  RestrictDomainsToCertificate: "restrictDomainsToCertificate",
  RestrictDomainsToIPAddresses: "restrictDomainsToIPAddresses",
  TreatMessagesAsInternal: "treatMessagesAsInternal",
  CloudServicesMailEnabled: "cloudServicesMailEnabled",
};
const SEND_FIELDS: Readonly<Record<string, keyof SendInput>> = {
  RequireTLS: "requireTls",
  TlsDomain: "tlsDomain",
  TlsAuthLevel: "tlsAuthLevel",
  TlsCertificateName: "tlsCertificateName",
  CloudServicesMailEnabled: "cloudServicesMailEnabled",
  DNSRoutingEnabled: "dnsRoutingEnabled",
  SmartHosts: "smartHosts",
  AddressSpaces: "addressSpaces",
};
const LIST_FIELDS = new Set<string>(["senderIPAddresses", "smartHosts", "addressSpaces"]);
const prefixOf = (tenant: string) => tenant.split(".")[0] as string;
let publicHost = 0;

/** A cmdlet parameter's value as the fixture holds it; undefined for words that are not a value. */
function parameterValue(raw: string, field: string, tenant: string): unknown {
  const value = raw.replace(/[.,;)]+$/, "").replace(/^"(.*)"$/, "$1");
  if (value === "$true" || value === "$false") return value === "$true";
  if (value === "$null") return LIST_FIELDS.has(field) ? [] : undefined;
  // "<an accepted domain of this tenant>", "<… of tenant "x" on this path's own certificate>": the
  // tenant's own relay name, which its own certificate presents.
  if (/^<an accepted domain of (this tenant|tenant ")/.test(value)) return `relay.${prefixOf(tenant)}.com`;
  if (value.startsWith("<") || !/[.]|^[A-Z][A-Za-z]+Validation$/.test(value)) return undefined;
  return LIST_FIELDS.has(field) ? [value] : value;
}

/** Each `Set-InboundConnector "x" -P v …` / `Set-SendConnector "x" -P v …` of a remediation, as a change. */
function cmdletFixes(remediation: string): ((fixture: InventoryFixture) => void)[] {
  const fixes: ((fixture: InventoryFixture) => void)[] = [];
  for (const match of remediation.matchAll(/Set-(Inbound|Send)Connector "([^"]+)"((?:\s+-\w+\s+(?:<[^>]+>|"[^"]*"|[^\s<]+))+)/g)) {
    const [, side, name, parameters] = match as unknown as [string, "Inbound" | "Send", string, string];
    const then = remediation.slice((match.index ?? 0) + match[0].length);
    // "-SenderIPAddresses with the public IPv4 address(es)…", "-TlsSenderCertificateName to it": words, not values.
    const values = [...parameters.matchAll(/-(\w+)\s+(<[^>]+>|"[^"]*"|[^\s<]+)/g)];
    if (!values.some(([, , raw]) => parameterValue(raw as string, "", "x.onmicrosoft.com") !== undefined || raw === "$null")) continue;
    fixes.push((fixture) => {
      const connector =
        side === "Inbound" ? fixture.inboundConnectors.find((c) => c.name === name) : fixture.sendConnectors.find((c) => c.name === name);
      assert.ok(connector, `the remediation names a connector the inventory does not have: ${remediation}`);
      const tenant = "tenant" in connector ? connector.tenant : (connector.tenants[0] as string);
      for (const [, parameter, raw] of values) {
        const field = (side === "Inbound" ? INBOUND_FIELDS : SEND_FIELDS)[parameter as string];
        assert.ok(field, `a parameter this test does not know: -${parameter} in ${remediation}`);
        const value = parameterValue(raw as string, field, tenant);
        if (value !== undefined || raw === "$null") (connector as Record<string, unknown>)[field] = value;
      }
      if (/^, then remove -SenderIPAddresses/.test(then)) (connector as InboundInput).senderIPAddresses = [];
    });
  }
  return fixes;
}

/** The fixes written in words: [the words, the change a person makes after reading them]. */
const WORDED_FIXES: readonly [RegExp, (fixture: InventoryFixture, finding: Finding, match: RegExpExecArray) => void][] = [
  // certificate-not-shared-across-tenants: a certificate of the tenant's own, its name the tenant's relay name.
  [
    /^(Issue a separate certificate|Give each tenant a certificate with its own name|Use a certificate name that is an accepted domain of this tenant only)/,
    (fixture, finding) => {
      // The tenants the finding names ("… is used for 2 tenants: "contoso…", "fabrikam…"") and those of its resources.
      const named = [...finding.message.matchAll(/"([a-z0-9-]+\.onmicrosoft\.com)"/g)].map((m) => m[1] as string);
      const tenants = new Set([finding.tenant, ...named, ...(finding.related ?? []).map((r) => tenantOfRef(fixture, r))]);
      for (const tenant of tenants) if (tenant !== undefined) ownCertificate(fixture, prefixOf(tenant));
    },
  ],
  // certificate-validity: "Renew it, …": the tenant whose certificate it is gets a new one.
  [
    /^Renew it, enable the new certificate for SMTP/,
    (fixture, finding) => {
      const owner = fixture.certificates.find((c) => c.ref?.name === finding.resource.name);
      assert.ok(owner?.tenant, finding.resource.name);
      ownCertificate(fixture, prefixOf(owner.tenant));
    },
  ],
  // send-connector-per-tenant: "Create a Send Connector for this tenant only: New-SendConnector -SmartHosts h -AddressSpaces a …".
  [
    /^Create a Send Connector for this tenant only: New-SendConnector -SmartHosts (\S+) -AddressSpaces (\S+) -TlsCertificateName <this tenant's own certificate>/,
    (fixture, finding, match) => {
      const tenant = finding.tenant as string;
      const certificate = fixture.certificate(prefixOf(tenant));
      fixture.sendConnectors.push({
        ref: { kind: "sendConnector", name: `${prefixOf(tenant)}-own-send` },
        name: `${prefixOf(tenant)}-own-send`,
        tenants: [tenant],
        smartHosts: [match[1] as string],
        addressSpaces: [match[2] as string],
        dnsRoutingEnabled: false,
        requireTls: true,
        tlsAuthLevel: "DomainValidation",
        tlsDomain: "mail.protection.outlook.com",
        tlsCertificateName: exchangeTlsCertificateName(certificate as { issuer: string; subject: string }),
        cloudServicesMailEnabled: true,
        certificateThumbprint: certificate.thumbprint,
        unknown: [],
      });
    },
  ],
  // certificate-name-is-accepted-domain: "Add it with New-AcceptedDomain -DomainName d (verified in tenant "t")".
  [
    /Add it with New-AcceptedDomain -DomainName (\S+) \(verified in tenant "([^"]+)"\)/,
    (fixture, _finding, match) => {
      fixture.tenant(prefixOf(match[2] as string)).acceptedDomains?.push(match[1] as string);
    },
  ],
  // sender-ip-accepted-by-exchange-online: "Replace it in Set-InboundConnector "x" -SenderIPAddresses with the public IPv4 address(es) …".
  [
    /^Replace it in Set-InboundConnector "([^"]+)" -SenderIPAddresses with the public IPv4 address/,
    (fixture, finding, match) => {
      const connector = fixture.inboundConnectors.find((c) => c.name === match[1]);
      assert.ok(connector);
      const entry = /entry "([^"]+)"/.exec(finding.message)?.[1];
      connector.senderIPAddresses = connector.senderIPAddresses.map((ip) => (ip === entry ? `203.0.113.${++publicHost}` : ip));
    },
  ],
  // inbound-connector-settings: "-TlsSenderCertificateName to the exact host name on this path's certificate (e.g. relay.x)".
  [
    /^Set-InboundConnector "([^"]+)" -TlsSenderCertificateName to the exact host name on this path's certificate \(e\.g\. (\S+)\)/,
    (fixture, _finding, match) => {
      const connector = fixture.inboundConnectors.find((c) => c.name === match[1]);
      assert.ok(connector);
      connector.tlsSenderCertificateName = match[2] as string;
    },
  ],
  // tenant-declared-once: "Declare each tenant once (remove the duplicate entries "a", …)".
  [
    /^Declare each tenant once \(remove the duplicate entr(?:y|ies) ?([^)]*)\)/,
    (fixture, finding) => {
      // The duplicates are the later entries of that name.
      for (const ref of finding.related ?? []) {
        const list = ref.kind === "sendConnector" ? fixture.sendConnectors : fixture.inboundConnectors;
        const at = list.findLastIndex((c) => c.ref?.name === ref.name);
        assert.ok(at > 0, `no duplicate entry "${ref.name}" to remove`);
        list.splice(at, 1);
      }
    },
  ],
  // add-on-relay-per-customer-certificate: "Ask s for a certificate issued for this customer (…), add that name as an accepted domain and set … -TlsSenderCertificateName to it."
  [
    /^Ask .+ for a certificate issued for this customer .*add that name as an accepted domain and set Set-InboundConnector "([^"]+)" -TlsSenderCertificateName to it/,
    (fixture, finding, match) => {
      const name = `c${prefixOf(finding.tenant as string)}01.smtp.vendor.example`;
      fixture.tenant(prefixOf(finding.tenant as string)).acceptedDomains?.push(name);
      const connector = fixture.inboundConnectors.find((c) => c.name === match[1]);
      assert.ok(connector);
      connector.tlsSenderCertificateName = name;
    },
  ],
];

function tenantOfRef(fixture: InventoryFixture, ref: { kind: string; name: string }): string | undefined {
  if (ref.kind === "inboundConnector") return fixture.inboundConnectors.find((c) => c.name === ref.name)?.tenant;
  if (ref.kind === "sendConnector") return fixture.sendConnectors.find((c) => c.name === ref.name)?.tenants[0];
  return fixture.certificates.find((c) => c.ref?.name === ref.name)?.tenant;
}

/** The tenant gets a certificate of its own for relay.<prefix>.com, named on both sides. */
function ownCertificate(fixture: InventoryFixture, prefix: string): void {
  const tenant = `${prefix}.onmicrosoft.com`;
  fixture.useCertificate(prefix, testCertificate({ dnsNames: [`relay.${prefix}.com`], organization: `${prefix} renewed` }, { tenant }));
  for (const connector of fixture.inboundConnectors.filter((c) => c.tenant === tenant && c.connectorType === "OnPremises"))
    if (connector.senderIPAddresses.length === 0) connector.tlsSenderCertificateName = `relay.${prefix}.com`;
}

/** Rules whose fixes propose no value (they say where to change one), so they cannot propose a refused one. */
const NO_VALUE_PROPOSED = new Set(["exchange-accepts-values", "security-values-known"]);

function everyFixIsSafe(fixture: InventoryFixture, ruleId: string): number {
  const before = fixture.findings();
  const known = new Set(before.map(key));
  const findings = before.filter((f) => f.ruleId === ruleId);
  assert.ok(findings.length > 0, `the planted violation of ${ruleId} was not found`);
  let checked = 0;
  for (const finding of findings) {
    const fixes: ((copy: InventoryFixture) => void)[] = [...cmdletFixes(finding.remediation)];
    for (const [words, change] of WORDED_FIXES) {
      const match = words.exec(finding.remediation);
      if (match) fixes.push((copy) => change(copy, finding, match));
    }
    assert.ok(fixes.length > 0, `no fix this test can follow in "${finding.remediation}"`);
    for (const fix of fixes) {
      const copy = clone(fixture);
      fix(copy);
      const after = copy.findings();
      assert.deepEqual(
        after.filter((f) => !known.has(key(f))).map((f) => `${f.ruleId}: ${f.message}`),
        [],
        `the fix "${finding.remediation}" brings new findings`,
      );
      assert.equal(
        after.some((f) => key(f) === key(finding) && f.message === finding.message),
        false,
        `"${finding.remediation}" leaves: ${finding.message}`,
      );
      checked++;
    }
  }
  return checked;
}

/** One violation per rule, planted in the happy-path inventory. */
const PLANTED: readonly [string, string, (fixture: InventoryFixture) => void][] = [
  [
    "send-connector-tls",
    "RequireTLS off",
    (f) => {
      f.send("contoso").requireTls = false;
    },
  ],
  [
    "send-connector-tls",
    "another TlsDomain",
    (f) => {
      f.send("contoso").tlsDomain = "mail.contoso.com";
    },
  ],
  [
    "send-connector-tls",
    "TlsAuthLevel EncryptionOnly",
    (f) => {
      f.send("contoso").tlsAuthLevel = "EncryptionOnly";
    },
  ],
  [
    "send-connector-tls",
    "CloudServicesMailEnabled off",
    (f) => {
      f.send("contoso").cloudServicesMailEnabled = false;
    },
  ],
  [
    "send-connector-tls",
    "another tenant's smart host",
    (f) => {
      f.send("contoso").smartHosts = ["fabrikam.mail.protection.outlook.com"];
    },
  ],
  [
    "inbound-connector-settings",
    "TreatMessagesAsInternal",
    (f) => {
      f.inbound("contoso").treatMessagesAsInternal = true;
    },
  ],
  [
    "inbound-connector-settings",
    "RestrictDomainsToIPAddresses",
    (f) => {
      f.inbound("contoso").restrictDomainsToIPAddresses = true;
    },
  ],
  [
    "certificate-name-is-accepted-domain",
    "a name not accepted",
    (f) => {
      f.inbound("contoso").tlsSenderCertificateName = "relay.contoso.net";
    },
  ],
  [
    "certificate-not-shared-across-tenants",
    "fabrikam on contoso's certificate",
    (f) => void f.useCertificate("fabrikam", f.certificate("contoso")),
  ],
  [
    "certificate-validity",
    "an expired certificate",
    (f) =>
      void f.useCertificate(
        "contoso",
        testCertificate(
          { dnsNames: ["relay.contoso.com"], organization: "contoso", notAfter: new Date("2026-03-01T00:00:00Z") },
          { tenant: "contoso.onmicrosoft.com" },
        ),
      ),
  ],
  [
    "send-connector-per-tenant",
    "a tenant without a Send Connector",
    (f) => void f.sendConnectors.splice(f.sendConnectors.indexOf(f.send("fabrikam")), 1),
  ],
  [
    "sender-ip-not-shared",
    "two tenants on one IP",
    (f) => {
      for (const prefix of ["contoso", "fabrikam"]) {
        const inbound = f.inbound(prefix);
        inbound.senderIPAddresses = ["203.0.113.200"];
        delete inbound.tlsSenderCertificateName;
      }
    },
  ],
  [
    "sender-ip-accepted-by-exchange-online",
    "a /16",
    (f) => {
      f.inbound("contoso").senderIPAddresses = ["198.51.0.0/16"];
    },
  ],
  [
    "sender-ip-accepted-by-exchange-online",
    "a private address",
    (f) => {
      f.inbound("contoso").senderIPAddresses = ["10.1.2.3"];
    },
  ],
  [
    "certificate-auth-preferred",
    "IP-only authentication",
    (f) => {
      const inbound = f.inbound("contoso");
      inbound.senderIPAddresses = ["203.0.113.201"];
      delete inbound.tlsSenderCertificateName;
    },
  ],
  [
    "add-on-relay-per-customer-certificate",
    "an add-on connector without a certificate name, restriction or cloud services",
    (f) =>
      void f.inboundConnectors.push({
        ref: { kind: "inboundConnector", name: "Vendor relay" },
        name: "Vendor relay",
        tenant: "contoso.onmicrosoft.com",
        connectorType: "Partner",
        addOnService: "Vendor Signatures",
        senderIPAddresses: [],
        senderDomains: ["*"],
        requireTls: true,
        unknown: [],
      }),
  ],
  [
    "tenant-declared-once",
    "contoso declared twice",
    (f) => {
      f.addTenantPath("contoso");
      f.sendConnectors[f.sendConnectors.length - 1] = { ...(f.sendConnectors.at(-1) as SendInput), name: "CONTOSO-send" };
      f.tenants.pop();
    },
  ],
];

describe("every rule's suggested fixes pass every rule", () => {
  for (const [ruleId, what, plant] of PLANTED) {
    it(`${ruleId}: ${what}`, () => {
      const fixture = new InventoryFixture();
      plant(fixture);
      assert.ok(everyFixIsSafe(fixture, ruleId) > 0);
    });
  }

  it("plants a violation of every rule that proposes a value", () => {
    const planted = new Set(PLANTED.map(([id]) => id));
    assert.deepEqual(
      RULES.map((rule) => rule.id).filter(
        (id) => !planted.has(id) && !NO_VALUE_PROPOSED.has(id) && id !== "certificate-covers-sender-name",
      ),
      [],
    );
  });
});
