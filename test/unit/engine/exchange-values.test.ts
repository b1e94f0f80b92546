import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  connectorNameProblem,
  connectorValueProblems,
  hostNameProblem,
  senderDomainsProblem,
} from "../../../policy/src/engine/exchange-values";
import { describe as describeFinding, evaluate } from "../../../policy/src/engine";
import { inventoryFromPulumiResources, SEND_CONNECTOR_TYPE } from "../../../policy/src/sources/pulumi";

describe("values Exchange refuses, refused before anything is sent", () => {
  it("connector names: one line, no edge spaces, 1 to 64 characters", () => {
    assert.equal(
      connectorNameProblem("sendConnector.name", "Outbound\nto contoso"),
      `'sendConnector.name' "Outbound\\nto contoso" contains a line break; Exchange connector names are one line of text.`,
    );
    assert.equal(
      connectorNameProblem("name", "x".repeat(65)),
      `'name' "${"x".repeat(65)}" is 65 characters long; Exchange connector names are at most 64. Use a shorter name.`,
    );
    assert.match(connectorNameProblem("name", " Outbound") ?? "", /starts or ends with a space/);
    assert.match(connectorNameProblem("name", "a\u0000b") ?? "", /contains a NUL character/);
    assert.equal(connectorNameProblem("name", "x".repeat(64)), undefined);
    assert.equal(connectorNameProblem("name", "Outbound to contoso.onmicrosoft.com"), undefined);
  });

  it("host names: dot-separated labels; an FQDN needs two; smart hosts may be IPv4", () => {
    const fqdn = { fqdn: true, example: "relay.contoso.com" };
    assert.equal(
      hostNameProblem("sendConnector.fqdn", "relay contoso.com", fqdn),
      `'sendConnector.fqdn' "relay contoso.com" is not a fully qualified host name. Use letters, digits and hyphens in dot-separated labels, such as relay.contoso.com.`,
    );
    assert.equal(hostNameProblem("fqdn", "relay", fqdn)?.includes("is not a fully qualified host name"), true);
    assert.equal(hostNameProblem("fqdn", "relay.contoso.com.", fqdn), undefined);
    assert.equal(hostNameProblem("fqdn", "relay.bücher.example", fqdn), undefined);
    const server = { fqdn: false, example: "EX01" };
    assert.equal(hostNameProblem("sourceTransportServers[0]", "EX01", server), undefined);
    assert.equal(
      hostNameProblem("sourceTransportServers[1]", "EX01;EX02", server),
      `'sourceTransportServers[1]' "EX01;EX02" is not a server name. Use letters, digits and hyphens in dot-separated labels, such as EX01.`,
    );
    assert.match(hostNameProblem("sourceTransportServers[0]", "EX01\r\n", server) ?? "", /contains a carriage return/);
    assert.equal(hostNameProblem("smartHosts[0]", "203.0.113.5", { ...fqdn, ipAllowed: true }), undefined);
    assert.match(hostNameProblem("smartHosts[0]", "203.0.113.999", { ...fqdn, ipAllowed: true }) ?? "", /or an IPv4 address/);
  });

  it("SenderDomains: 2,243 characters as Exchange stores them", () => {
    const domains = Array.from({ length: 100 }, (_, i) => `partner-domain-${i}.example`);
    assert.match(
      senderDomainsProblem("senderDomains", domains) ?? "",
      /^'senderDomains' holds 100 domains, \d+ characters as Exchange stores them; the limit is 2243\. Split them over two connectors\.$/,
    );
    assert.equal(senderDomainsProblem("senderDomains", ["*"]), undefined);
  });

  it("the exchange-accepts-values rule (pack, components, audit) names the connector and the field", () => {
    assert.deepEqual(
      connectorValueProblems("send", {
        name: "ok",
        fqdn: "relay.contoso.com",
        smartHosts: ["contoso.mail.protection.outlook.com"],
        sourceTransportServers: ["EX01"],
      }),
      [],
    );
    assert.deepEqual(
      connectorValueProblems("send", { addressSpaces: ["contoso.mail.onmicrosoft.com\t"], tlsCertificateName: "<I>CN=CA\n<S>CN=relay" }),
      [
        `'addressSpaces[0]' "contoso.mail.onmicrosoft.com\\t" contains a tab; Exchange takes it as one line.`,
        `'tlsCertificateName' "<I>CN=CA\\n<S>CN=relay" contains a line break; Exchange takes it as one line.`,
      ],
    );
    const { inventory, problems } = inventoryFromPulumiResources([
      {
        type: SEND_CONNECTOR_TYPE,
        name: "by-hand-send",
        props: {
          name: "Outbound\nto contoso",
          tenants: ["contoso.onmicrosoft.com"],
          fqdn: "relay_contoso",
          smartHosts: ["[203.0.113.5]"],
          sourceTransportServers: ["EX01"],
        },
      },
    ]);
    assert.deepEqual(problems, []);
    const findings = evaluate(inventory, {}, { only: ["exchange-accepts-values"] });
    assert.deepEqual(
      findings.map((f) => [f.severity, f.tenant, describeFinding(f)]),
      [
        [
          "mandatory",
          "contoso.onmicrosoft.com",
          `Send connector "Outbound\\nto contoso": 'name' "Outbound\\nto contoso" contains a line break; Exchange connector names are one line of text. Fix: Change the value where the connector is declared; New-/Set-SendConnector would refuse it.`,
        ],
        [
          "mandatory",
          "contoso.onmicrosoft.com",
          `Send connector "Outbound\\nto contoso": 'fqdn' "relay_contoso" is not a fully qualified host name. Use letters, digits and hyphens in dot-separated labels, such as relay.contoso.com. Fix: Change the value where the connector is declared; New-/Set-SendConnector would refuse it.`,
        ],
      ],
    );
  });
});
