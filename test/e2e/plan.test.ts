import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type LocalExchangeOnline, startLocalExchangeOnline } from "../../local-exchange-online/server";
import { assertHealthyOrganization, BROWNFIELD_TENANTS, BrownfieldEstate } from "../support/brownfield";
import { npm, packTarballs } from "../support/packed";
import { POLICY_PACK, ROOT, Workspace } from "./harness";

/**
 * From finding to fix, end to end (issue 12): a brownfield estate in the LOCAL STAND-IN for Exchange
 * Online and the stand-in Exchange Management Shell -> `mailflow-guard audit --live` finds it ->
 * `mailflow-guard plan` -> the test plays the CA and the Exchange admin (issues the requested
 * certificates into the expected files) -> the Pulumi YAML project the plan wrote, applied from its
 * own folder outside the checkout with the packed package installed there: the gated preview
 * imports the existing connectors, `pulumi up` -> `audit --live` is clean and each tenant has
 * exactly one connector of each kind -> a second plan changes nothing.
 */
const TOKEN = "e2e-plan-token-7c2e";
const TENANTS = BROWNFIELD_TENANTS;
const CLI = join(ROOT, "dist", "cli", "main.js");

describe("mailflow-guard plan: a brownfield organization to one certificate and Send Connector per tenant", () => {
  let server: LocalExchangeOnline;
  let workspace: Workspace;
  let onPremState: string;
  let exportDir: string;
  let planDir: string;
  let project: string;
  let estate: BrownfieldEstate;
  const live = () => [
    ...Object.keys(TENANTS).flatMap((tenant) => ["--live", tenant]),
    "--endpoint",
    server.url,
    "--token-env",
    "MFG_E2E_TOKEN",
  ];
  /** The CLI as a user runs it; asynchronously, since Local Exchange Online answers from this process. */
  const mailflowGuard = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: workspace.dir, env: { ...workspace.env, MFG_E2E_TOKEN: TOKEN } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ status: code ?? -1, stdout, stderr }));
    });
  const stack = (args: string[]) => workspace.pulumi([...args, "--stack", "migration"], project);

  before(async () => {
    workspace = new Workspace();
    onPremState = join(workspace.dir, "onprem.json");
    exportDir = join(workspace.dir, "exports");
    planDir = join(workspace.dir, "plan");
    const certificateStore = join(workspace.dir, "onprem-certificates");
    Object.assign(workspace.env, {
      MAILFLOW_GUARD_EXO_TOKEN: TOKEN,
      MFG_FAKE_EXCHANGE_SHELL_STATE: onPremState,
      MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES: certificateStore,
    });
    server = await startLocalExchangeOnline({ tenants: TENANTS, statePath: join(workspace.dir, "exo.json"), log: () => {} });
    estate = new BrownfieldEstate(server.url, TOKEN, onPremState, exportDir, certificateStore);
    await estate.seed();
    project = join(planDir, "project");
  });
  after(async () => {
    await server?.close();
    workspace?.dispose();
  });

  it("audit --live finds the shared IP, the shared certificate and the shared Send Connectors", async () => {
    const audit = await mailflowGuard(["audit", ...live(), exportDir, "--format", "json"]);
    assert.equal(audit.status, 1, audit.stderr);
    const rules = new Set((JSON.parse(audit.stdout) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId));
    for (const rule of ["sender-ip-not-shared", "certificate-not-shared-across-tenants", "send-connector-per-tenant"])
      assert.ok(rules.has(rule), rule);
  });

  it("plans a certificate, a Send Connector and a certificate-based connector per tenant", async () => {
    const plan = await mailflowGuard(["plan", ...live(), exportDir, "--output", planDir]);
    assert.equal(plan.status, 0, plan.stderr);
    assert.equal(
      plan.stdout,
      `Plan for 4 tenants: 10 changes, 4 certificate requests. Written to ${planDir}: runbook.md, plan.json, Pulumi.migration.yaml, report.html, project/ (a Pulumi YAML project).\n`,
    );
    assert.doesNotMatch(
      readFileSync(join(planDir, "runbook.md"), "utf8") + readFileSync(join(planDir, "plan.json"), "utf8"),
      new RegExp(TOKEN),
    );
  });

  it("the written project passes the gate, importing the existing connectors instead of duplicating them", async () => {
    // What a user who installed mailflow-guard does in the folder the plan wrote: npm install.
    npm(["install", packTarballs(ROOT, join(workspace.dir, "tarballs")).library], project);
    // The CA and the Exchange admin: issue each requested certificate into the file the plan expects,
    // and install it on-premises (it appears in Get-ExchangeCertificate).
    assert.deepEqual(estate.issueRequestedCertificates(join(planDir, "plan.json"), project), [
      "certs/adatum.pem",
      "certs/contoso.pem",
      "certs/fabrikam.pem",
      "certs/litware.pem",
    ]);
    // The stack config as written, with the stand-in Exchange Management Shell as the on-premises runner.
    const configFile = join(project, "Pulumi.migration.yaml");
    const written = readFileSync(configFile, "utf8");
    assert.match(written, /^ {2}mailflow:endpoint: "http:\/\/127\.0\.0\.1:\d+"$/m);
    writeFileSync(
      configFile,
      written.replace(
        /^ {2}mailflow:onPremisesShell: .*$/m,
        `  mailflow:onPremisesShell: ["node", ${JSON.stringify(join(ROOT, "dist/local-exchange-online/fake-exchange-shell.js"))}]`,
      ),
    );
    await workspace.mustRun(["stack", "init", "migration"], project);
    await workspace.mustRun(["config", "--stack", "migration", "set", "--secret", "mailflow:token", TOKEN], project);

    const preview = await stack(["preview", "--policy-pack", POLICY_PACK]);
    assert.equal(preview.code, 0, preview.output);
    assert.doesNotMatch(preview.output, /mandatory/);
    // 4 inbound + 4 Send Connectors: the 6 that exist are imported, then updated where the plan changes
    // them (one line each); 2 are new; nothing is replaced or deleted.
    const planned = [...preview.output.matchAll(/^ ([+~=-]|\+-) {2}mailflow:exchange:(\w+Connector) (\S+) (\w+)/gm)].map(
      (m) => `${m[3]} ${m[4]}`,
    );
    assert.deepEqual([...new Set(planned)].sort(), [
      "adatum-inbound import",
      "adatum-inbound update",
      "adatum-send import",
      "adatum-send update",
      "contoso-inbound import",
      "contoso-inbound update",
      "contoso-send import",
      "contoso-send update",
      "fabrikam-inbound import",
      "fabrikam-inbound update",
      "fabrikam-send create",
      "litware-inbound import",
      "litware-inbound update",
      "litware-send create",
    ]);
    assert.match(preview.output, /= 6 to import/);
    assert.doesNotMatch(preview.output, /to replace|to delete/);
  });

  it("pulumi up leaves exactly one Send Connector and one OnPremises connector per tenant, and audit --live is clean", async () => {
    const up = await stack(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK]);
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /= 6 imported/);
    // The shared Send Connectors narrowed to one tenant and renamed in place by the update after their import.
    assertHealthyOrganization(estate, (tenant) => server.state().tenants[tenant]?.inboundConnectors ?? []);
    estate.exportOnPremises();
    const audit = await mailflowGuard(["audit", ...live(), exportDir]);
    assert.equal(audit.status, 0, audit.stdout + audit.stderr);

    // Planning the migrated organization again: nothing to change, nothing left to import.
    const again = await mailflowGuard(["plan", ...live(), exportDir, "--output", join(workspace.dir, "plan-again")]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^Nothing to change: 4 tenants already have their own certificate and Send Connector\./);
    assert.equal(JSON.parse(readFileSync(join(workspace.dir, "plan-again", "plan.json"), "utf8")).changes, 0);
    const program = readFileSync(join(workspace.dir, "plan-again", "project", "Pulumi.yaml"), "utf8");
    assert.doesNotMatch(program, /^ +adopt: true$/m, "the stack already manages every connector: importing them again would replace them");
    // The second plan's program, on the same stack: no change to any connector.
    writeFileSync(join(project, "Pulumi.yaml"), program);
    const preview = await stack(["preview", "--policy-pack", POLICY_PACK]);
    assert.equal(preview.code, 0, preview.output);
    assert.doesNotMatch(preview.output, /^ ([+~=-]|\+-) {2}mailflow:exchange/m);
    // The stack, four pairs and their eight connectors, all unchanged.
    assert.match(preview.output, /Resources:\n\s+13 unchanged\n/);
  });
});
