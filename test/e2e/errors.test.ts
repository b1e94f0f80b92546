import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { POLICY_PACK, pulumiBinary, ROOT, Workspace } from "./harness";

/**
 * What a person reads when an argument or the policy config is wrong, through the real CLI: the
 * message, not a Node.js stack trace or a dump of the component's fields.
 */

/** A stack frame ("    at fn (file:line:col)") or a util.inspect dump of an object's fields. */
const TRACE = /^\s+at .+:\d+:\d+\)?$|__pulumiResource|\[Symbol\(/m;

const PROGRAM = `const { readFileSync } = require("node:fs");
const pulumi = require("@pulumi/pulumi");
const { TenantConnectorPair } = require(${JSON.stringify(join(ROOT, "dist", "components"))});
new TenantConnectorPair("contoso", {
  tenant: { name: "contoso.onmicrosoft.com", acceptedDomains: ["contoso.com", "relay.contoso.com"] },
  certificate: { pem: readFileSync(${JSON.stringify(join(ROOT, "examples", "certs", "contoso-relay.pem"))}, "utf8") },
  certificateName: "relay.contoso.com",
  sendConnector: { sourceTransportServers: ["EX01"], ...JSON.parse(process.env.SEND_CONNECTOR ?? "{}") },
  exchangeOnline: { endpoint: "http://127.0.0.1:9", token: pulumi.secret("t") },
});
`;

describe("errors a person reads, through `pulumi preview`", () => {
  const workspace = new Workspace();
  after(() => workspace.dispose());
  pulumiBinary();
  const source = join(workspace.dir, "bad-argument");
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, "Pulumi.yaml"), "name: bad-argument\nruntime: nodejs\n");
  // The program sits in the project copy, beside the node_modules link, so it finds @pulumi/pulumi.
  const project = workspace.project(source, "dist/components/index.js");
  writeFileSync(join(project, "index.js"), PROGRAM);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "bad-argument", private: true, main: "index.js" }));

  it("prints a bad component argument as its message only, with the field named", async () => {
    await workspace.initStack(project, "bad-arg");
    const result = await workspace.pulumi(["preview", "--stack", "bad-arg"], project, {
      SEND_CONNECTOR: JSON.stringify({ name: "Outbound\nto contoso" }),
    });
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.output, /error: Invalid arguments for TenantConnectorPair "contoso":/);
    assert.match(result.output, /sendConnector\.name/);
    assert.doesNotMatch(result.output, TRACE, result.output);
    assert.ok(result.output.trim().split("\n").length < 20, `${result.output.split("\n").length} lines:\n${result.output}`);
  });

  it("refuses a mistyped policy setting and a mistyped policy name in one paragraph, naming the key", async () => {
    await workspace.initStack(project, "bad-config");
    const typo = join(workspace.dir, "typo.json");
    writeFileSync(typo, JSON.stringify({ "certificate-validity": { expiryWarningDayz: 30 } }));
    const name = join(workspace.dir, "name.json");
    writeFileSync(name, JSON.stringify({ "certificate-validty": "advisory" }));
    for (const [file, expected] of [
      [typo, '"certificate-validity" has no setting "expiryWarningDayz". Did you mean "expiryWarningDays"?'],
      [name, '"certificate-validty" is not a policy of the mailflow-guard pack. Did you mean "certificate-validity"?'],
    ] as const) {
      const result = await workspace.pulumi(
        ["preview", "--stack", "bad-config", "--policy-pack", POLICY_PACK, "--policy-pack-config", file],
        project,
        { SEND_CONNECTOR: "{}" },
      );
      assert.notEqual(result.code, 0, result.output);
      assert.ok(result.output.includes(`mailflow-guard policy config: ${expected}`), result.output);
      assert.doesNotMatch(result.output, TRACE, result.output);
      assert.ok(result.output.trim().split("\n").length < 10, result.output);
    }
  });
});
