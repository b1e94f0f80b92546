import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { blockedExitCode, POLICY_DIR, POLICY_PACK, packRan, policyLine, policyPackAt, policySection, ROOT, Workspace } from "./harness";

const SCENARIO_EXAMPLE = join(ROOT, "examples", "connectors-by-hand");
const SCENARIO_MAIN = "dist/examples/connectors-by-hand/index.js";

describe("the policy pack through the Automation API (policyPacks)", () => {
  const workspace = new Workspace();
  after(() => workspace.dispose());
  const project = workspace.project(SCENARIO_EXAMPLE, SCENARIO_MAIN);

  async function previewScenario(stackName: string, scenario: string) {
    const stack = await LocalWorkspace.createStack({ stackName, workDir: project }, { envVars: workspace.env as Record<string, string> });
    await stack.setConfig("scenario", { value: `examples/scenarios/${scenario}.json` });
    let output = "";
    try {
      await stack.preview({ policyPacks: [POLICY_PACK], onOutput: (line) => (output += line) });
      return { blocked: false, output };
    } catch (error) {
      return { blocked: true, output: `${output}\n${(error as Error).message}` };
    }
  }

  it("blocks the shared certificate name", async () => {
    const result = await previewScenario("automation-blocked", "shared-certificate-name");
    assert.equal(result.blocked, true, result.output);
    assert.match(policySection(result.output), policyLine("mandatory", "certificate-not-shared-across-tenants"));
    assert.ok(
      result.output.includes(
        'Certificate name "relay.contoso.com" is used for 2 tenants: "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com".',
      ),
    );
  });

  it("passes the clean twin", async () => {
    const result = await previewScenario("automation-clean", "clean");
    assert.equal(result.blocked, false, result.output);
    assert.match(result.output, packRan(true));
    assert.doesNotMatch(result.output, /\[mandatory\]|\[advisory\]/);
  });
});

describe("the clean examples preview with exit 0 through the pack", () => {
  const workspace = new Workspace();
  after(() => workspace.dispose());

  for (const example of ["hybrid-organization", "add-on-relay"]) {
    it(`examples/${example}: pulumi preview --policy-pack, and the Automation API`, async () => {
      const project = workspace.project(join(ROOT, "examples", example), `dist/examples/${example}/index.js`);
      await workspace.initStack(project, "clean");
      const result = await workspace.pulumi(["preview", "--stack", "clean", "--policy-pack", POLICY_PACK], project);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, packRan(true));
      assert.doesNotMatch(result.output, /\[mandatory\]|\[advisory\]/);
      const stack = await LocalWorkspace.selectStack(
        { stackName: "clean", workDir: project },
        { envVars: workspace.env as Record<string, string> },
      );
      let output = "";
      await stack.preview({ policyPacks: [POLICY_PACK], onOutput: (line) => (output += line) });
      assert.match(output, packRan(true));
      assert.doesNotMatch(output, /\[mandatory\]|\[advisory\]/);
    });
  }
});

describe("components stopped at preview by the pack", () => {
  const workspace = new Workspace();
  after(() => workspace.dispose());

  it("two TenantConnectorPairs sharing one certificate: blocked before anything is created, naming both tenants and the certificate", async () => {
    const project = workspace.project(join(ROOT, "examples", "shared-certificate"), "dist/examples/shared-certificate/index.js");
    await workspace.initStack(project, "e2e");
    const result = await workspace.pulumi(["preview", "--stack", "e2e", "--policy-pack", POLICY_PACK], project);
    assert.equal(result.code, blockedExitCode(), result.output);
    assert.match(
      policySection(result.output),
      /Certificate [0-9A-F]{40} is used for 2 tenants: "contoso\.onmicrosoft\.com", "fabrikam\.onmicrosoft\.com"\. Fix: Issue a separate certificate per tenant/,
    );
  });
});

describe("the policy pack stands alone (what `pulumi policy publish` uploads)", () => {
  const workspace = new Workspace();
  after(() => workspace.dispose());

  it("installs, builds and gates a preview from a copy in another folder", async () => {
    const copy = join(workspace.dir, "published-pack");
    mkdirSync(copy);
    for (const entry of ["package.json", "package-lock.json", "PulumiPolicy.yaml", "tsconfig.json", "src"]) {
      cpSync(join(POLICY_DIR, entry), join(copy, entry), { recursive: true });
    }
    execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: copy, stdio: "pipe" });
    execFileSync("npm", ["run", "build"], { cwd: copy, stdio: "pipe" });
    const project = workspace.project(SCENARIO_EXAMPLE, SCENARIO_MAIN);
    await workspace.initStack(project, "published", { scenario: "examples/scenarios/shared-ip.json" });
    const pack = policyPackAt(copy);
    const result = await workspace.pulumi(["preview", "--stack", "published", "--policy-pack", pack.arg], project, pack.env);
    assert.equal(result.code, blockedExitCode(), result.output);
    assert.match(policySection(result.output), policyLine("mandatory", "sender-ip-not-shared"));
  });
});

describe("the root project runs its program, not the library its package.json exports", () => {
  const workspace = new Workspace();
  after(() => workspace.dispose());

  it("previews the demo's 13 resources from a copy with the real Pulumi.yaml and package.json", async () => {
    const copy = join(workspace.dir, "root-project");
    mkdirSync(copy);
    for (const file of ["Pulumi.yaml", "package.json"]) cpSync(join(ROOT, file), join(copy, file));
    for (const folder of ["dist", "node_modules", "examples"]) symlinkSync(join(ROOT, folder), join(copy, folder));
    await workspace.initStack(copy, "demo");
    // The demo's stack config after the salt `stack init` wrote (the committed salt is the demo's
    // passphrase; the config holds no secrets).
    const demo = readFileSync(join(ROOT, "Pulumi.demo.yaml"), "utf8").replace(/^encryptionsalt:.*\n/m, "");
    const stackFile = join(copy, "Pulumi.demo.yaml");
    writeFileSync(stackFile, `${readFileSync(stackFile, "utf8")}\n${demo}`);
    const result = await workspace.pulumi(["preview", "--stack", "demo", "--policy-pack", POLICY_PACK], copy, {
      MAILFLOW_GUARD_EXO_TOKEN: "preview-only",
    });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /\+ 13 to create/, result.output);
  });
});
