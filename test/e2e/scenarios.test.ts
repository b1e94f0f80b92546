import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseCertificatePem } from "../../policy/src/engine/x509";
import { blockedExitCode, POLICY_PACK, policyLine, policySection, pulumiBinary, ROOT, Workspace } from "./harness";

/**
 * Every scenario under examples/scenarios previewed through the real CLI with the policy pack:
 * each changes one thing in a clean two-tenant stack and names the policy that must fire.
 */
const EXAMPLE = join(ROOT, "examples", "connectors-by-hand");
const SCENARIOS = join(ROOT, "examples", "scenarios");

interface Expectation {
  blocked: boolean;
  policy?: string;
  mentions?: string[];
}

const scenarios = readdirSync(SCENARIOS)
  .filter((file) => file.endsWith(".json") && file !== "base.json")
  .map((file) => ({
    file,
    stack: file.replace(/\.json$/, ""),
    ...(JSON.parse(readFileSync(join(SCENARIOS, file), "utf8")) as { description: string; expect: Expectation }),
  }));

describe("policy pack scenarios through `pulumi preview --policy-pack`", () => {
  const workspace = new Workspace();
  const PROJECT = workspace.project(EXAMPLE, "dist/examples/connectors-by-hand/index.js");
  let BLOCKED_EXIT = -1;
  before(() => {
    const { path, version } = pulumiBinary();
    BLOCKED_EXIT = blockedExitCode(version);
    console.log(`# using ${path} ${version}`);
  });
  after(() => workspace.dispose());

  for (const scenario of scenarios) {
    it(`${scenario.stack}: ${scenario.description}`, async () => {
      await workspace.initStack(PROJECT, scenario.stack, { scenario: `examples/scenarios/${scenario.file}` });
      const result = await workspace.pulumi(["preview", "--stack", scenario.stack, "--policy-pack", POLICY_PACK], PROJECT);
      const policies = policySection(result.output);
      if (scenario.expect.blocked) {
        assert.equal(result.code, BLOCKED_EXIT, result.output);
        assert.match(policies, policyLine("mandatory", scenario.expect.policy as string), result.output);
      } else {
        assert.equal(result.code, 0, result.output);
        assert.doesNotMatch(policies, /\[mandatory\]/, result.output);
        if (scenario.expect.policy) {
          assert.match(policies, policyLine("advisory", scenario.expect.policy), result.output);
        } else {
          assert.doesNotMatch(policies, /\[advisory\]/, result.output);
        }
      }
      for (const mention of scenario.expect.mentions ?? []) assert.ok(policies.includes(mention), `expected "${mention}" in:\n${policies}`);
    });
  }

  it("reports an unknown security value as advisory when configured so", async () => {
    await workspace.initStack(PROJECT, "unknown-advisory", { scenario: "examples/scenarios/unknown-certificate-name.json" });
    const config = join(workspace.dir, "unknown-advisory.json");
    writeFileSync(config, JSON.stringify({ "security-values-known": "advisory" }));
    const result = await workspace.pulumi(
      ["preview", "--stack", "unknown-advisory", "--policy-pack", POLICY_PACK, "--policy-pack-config", config],
      PROJECT,
    );
    assert.equal(result.code, 0, result.output);
    const policies = policySection(result.output);
    assert.match(policies, policyLine("advisory", "security-values-known"), result.output);
    assert.ok(policies.includes("mailflow:exchange:InboundConnector: contoso-inbound"), result.output);
  });

  it("blocks a certificate that the org-wide table assigns to a tenant of another stack", async () => {
    await workspace.initStack(PROJECT, "org-table", { scenario: "examples/scenarios/clean.json" });
    const thumbprint = parseCertificatePem(readFileSync(join(ROOT, "examples/certs/contoso-relay.pem"), "utf8"), "pem").thumbprint;
    const orgAssignments = {
      version: 1,
      tenants: {
        "northwind.onmicrosoft.com": {
          certificateThumbprints: [thumbprint],
          certificateNames: [],
          senderIPAddresses: [],
          sendConnectors: [],
        },
      },
    };
    const config = join(workspace.dir, "org.json");
    writeFileSync(config, JSON.stringify({ "certificate-not-shared-across-tenants": { orgAssignments } }));
    const result = await workspace.pulumi(
      ["preview", "--stack", "org-table", "--policy-pack", POLICY_PACK, "--policy-pack-config", config],
      PROJECT,
    );
    assert.equal(result.code, BLOCKED_EXIT, result.output);
    assert.ok(
      policySection(result.output).includes(
        `Certificate ${thumbprint} of tenant "contoso.onmicrosoft.com" is already assigned to "northwind.onmicrosoft.com" in the org-wide inventory.`,
      ),
      result.output,
    );
  });

  it("rejects a malformed org-wide table with a message naming the field", async () => {
    await workspace.initStack(PROJECT, "bad-config", { scenario: "examples/scenarios/clean.json" });
    const config = join(workspace.dir, "bad.json");
    writeFileSync(config, JSON.stringify({ "certificate-not-shared-across-tenants": { orgAssignments: { version: 2, tenants: {} } } }));
    const result = await workspace.pulumi(
      ["preview", "--stack", "bad-config", "--policy-pack", POLICY_PACK, "--policy-pack-config", config],
      PROJECT,
    );
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.output, /orgAssignments/);
    assert.match(result.output, /version/);
    // What the CLI's schema check lets through, the pack refuses in one paragraph, without stack frames.
    writeFileSync(
      config,
      JSON.stringify({
        "certificate-not-shared-across-tenants": {
          orgAssignments: { version: 1, tenants: { "northwind.onmicrosoft.com": { certificateNames: ["relay northwind"] } } },
        },
      }),
    );
    const named = await workspace.pulumi(
      ["preview", "--stack", "bad-config", "--policy-pack", POLICY_PACK, "--policy-pack-config", config],
      PROJECT,
    );
    assert.notEqual(named.code, 0, named.output);
    assert.ok(
      named.output.includes(
        `mailflow-guard policy config: 'orgAssignments.tenants["northwind.onmicrosoft.com"].certificateNames[0]' "relay northwind" is not a valid DNS domain.`,
      ),
      named.output,
    );
    assert.doesNotMatch(named.output, /^\s+at .+:\d+:\d+\)?$/m, named.output);
  });
});
