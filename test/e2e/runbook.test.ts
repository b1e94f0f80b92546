import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type LocalExchangeOnline, startLocalExchangeOnline } from "../../local-exchange-online/server";
import { assertHealthyOrganization, assertOwnSendConnectors, BROWNFIELD_TENANTS, BrownfieldEstate } from "../support/brownfield";
import { makeCertificatePem } from "../support/certs";
import { answerWith, carryOut, copyPlanIntoProject, parseRunbook, type RunbookContext, type RunbookStep } from "../support/runbook";
import { POLICY_PACK, ROOT, Workspace } from "./harness";

/**
 * The runbook `mailflow-guard plan` writes for the brownfield estate, carried out step by step as
 * written, in the stand-ins: the LOCAL STAND-IN for Exchange Online (each Exchange Online PowerShell
 * cmdlet sent as ExchangeOnlineManagement sends it, one InvokeCommand call), the stand-in Exchange
 * Management Shell (fake-exchange-shell, with the servers' disks and certificate stores as folders),
 * the test CA (test/support/certs.ts) answering the certificate requests, and the real Pulumi CLI over
 * the root project. What cannot run here is said where it is skipped: sending a test message and
 * reading its header (the stand-in delivers no mail), and copying files between machines (done by the
 * test as the runbook says). The last step is the runbook's own re-export into a new folder and its
 * audit, which must exit 0.
 */
const TOKEN = "e2e-runbook-token-5d1f";
const TENANTS = BROWNFIELD_TENANTS;
const CLI = join(ROOT, "dist", "cli", "main.js");
const SHELL = join(ROOT, "dist", "local-exchange-online", "fake-exchange-shell.js");

describe("mailflow-guard plan: the runbook, carried out as written", () => {
  let server: LocalExchangeOnline;
  let workspace: Workspace;
  let estate: BrownfieldEstate;
  let project: string;
  /** The admin's working folder: the exports, the plan, and where both shells run. */
  let work: string;
  /** The servers' disks (\\EX01\C$\… is <disks>/EX01/C$/…). */
  let disks: string;
  let steps: RunbookStep[];
  let plan: { tenants: { tenant: string; certificate: { kind: string; file: string } }[] };
  let context: RunbookContext;
  /** The request files the test CA answered. */
  const answered: string[] = [];
  const done = new Set<string>();

  const mailflowGuard = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: work, env: { ...workspace.env, MFG_E2E_TOKEN: TOKEN } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ status: code ?? -1, stdout, stderr }));
    });
  /** The runbook's sh lines: pulumi in the project folder (with this machine's --policy-pack), mailflow-guard in the working folder. */
  const sh = async (lines: readonly string[]) => {
    for (const line of lines) {
      const [tool, ...args] = line.split(" ");
      if (tool === "pulumi") {
        const argv = args.map((a) => (a === "policy" ? POLICY_PACK : a));
        // `pulumi up` asks for a yes at the terminal; a test answers it up front.
        const result = await workspace.pulumi(args[0] === "up" ? [...argv, "--yes"] : argv, project);
        assert.equal(result.code, 0, `${line}\n${result.output}`);
      } else if (tool === "mailflow-guard") {
        const result = await mailflowGuard(args);
        assert.equal(result.status, 0, `${line}\n${result.stdout}${result.stderr}`);
      } else assert.fail(`not a command of the runbook's sh blocks: ${line}`);
    }
  };
  /** Carries out the runbook step whose title matches, as written; returns what it printed. */
  const step = (title: RegExp): Promise<string[]> => {
    const found = steps.find((s) => title.test(s.title));
    assert.ok(found, `no runbook step ${title}; steps: ${steps.map((s) => s.title).join(" | ")}`);
    done.add(found.title);
    return carryOut(found, context);
  };

  before(async () => {
    workspace = new Workspace();
    work = join(workspace.dir, "admin");
    disks = join(workspace.dir, "disks");
    mkdirSync(work, { recursive: true });
    const onPremState = join(workspace.dir, "onprem.json");
    const certificateStore = join(workspace.dir, "onprem-certificates");
    Object.assign(workspace.env, {
      MAILFLOW_GUARD_EXO_TOKEN: TOKEN,
      MFG_FAKE_EXCHANGE_SHELL_STATE: onPremState,
      MFG_FAKE_EXCHANGE_SHELL_CERTIFICATES: certificateStore,
      MFG_FAKE_EXCHANGE_SHELL_FILES: disks,
      // The provider's scripts run on EX01 (no -Server), as a runner on that server would.
      MFG_FAKE_EXCHANGE_SHELL_SERVER: "EX01",
    });
    // The app registration the runbook's Exchange Online sessions sign in with (the stand-in takes any token).
    Object.assign(process.env, {
      MAILFLOW_GUARD_APP_ID: "3f6c2d1e-0000-4000-8000-00000000a11d",
      MAILFLOW_GUARD_APP_CERTIFICATE_THUMBPRINT: "0123456789ABCDEF0123456789ABCDEF01234567",
    });
    server = await startLocalExchangeOnline({ tenants: TENANTS, statePath: join(workspace.dir, "exo.json"), log: () => {} });
    estate = new BrownfieldEstate(server.url, TOKEN, onPremState, join(work, "exports"), certificateStore);
    await estate.seed();
    project = workspace.project(ROOT, "dist/program/index.js");
    const ca = answerWith((dnsNames) => makeCertificatePem({ dnsNames, organization: "Runbook e2e" }));
    context = {
      shellScript: SHELL,
      cwd: work,
      env: workspace.env,
      endpoint: server.url,
      token: TOKEN,
      answerRequests: (folder) => {
        answered.push(...readdirSync(folder).filter((f) => f.endsWith(".req")));
        ca(folder);
      },
      sh,
    };
  });
  after(async () => {
    await server?.close();
    workspace?.dispose();
  });

  it("plans the brownfield estate and writes a runbook of steps in named shells", async () => {
    const live = [...Object.keys(TENANTS).flatMap((t) => ["--live", t]), "--endpoint", server.url, "--token-env", "MFG_E2E_TOKEN"];
    const result = await mailflowGuard(["plan", ...live, "exports", "--output", "plan"]);
    assert.equal(result.status, 0, result.stderr);
    steps = parseRunbook(readFileSync(join(work, "plan", "runbook.md"), "utf8"));
    plan = JSON.parse(readFileSync(join(work, "plan", "plan.json"), "utf8"));
    assert.deepEqual(
      steps.map((s) => s.title),
      [
        "Certificates installed on every sending server and enabled for SMTP",
        "Gate the target before touching a connector",
        "Each tenant's own Send Connector presenting its certificate (new ones first, then the shared one narrowed)",
        "Each inbound connector names its tenant's certificate, while its sender IPs still accept the mail",
        "Check that mail arrives attributed to the right tenant",
        "Apply: the stack removes the sender IPs and adopts the connectors",
        "Export again, into a new folder (mailflow-guard-after), and audit it",
      ],
    );
  });

  it("1. certificates: requested on EX01, answered by the test CA, imported, enabled, copied to EX02", async () => {
    await step(/^Certificates installed/);
    assert.deepEqual(answered, ["relay.adatum.com.req", "relay.contoso.com.req", "relay.fabrikam.com.req", "relay.litware.com.req"]);
    const share = join(disks, "EX01", "C$", "mailflow-guard");
    for (const request of answered)
      assert.equal(JSON.parse(readFileSync(join(share, request), "utf8")).subject, `CN=${request.replace(/\.req$/, "")}`);
    // Each certificate is on both servers, enabled for SMTP, and its public part is on the share.
    const state = JSON.parse(readFileSync(workspace.env.MFG_FAKE_EXCHANGE_SHELL_STATE as string, "utf8")) as {
      certificateServices: Record<string, { services: string }>;
      certificateRequests: unknown[];
    };
    assert.deepEqual(state.certificateRequests, []);
    const enabled = Object.entries(state.certificateServices)
      .filter(([, v]) => v.services === "SMTP")
      .map(([k]) => k.split(" ")[0]);
    assert.deepEqual(enabled.sort(), ["EX01", "EX01", "EX01", "EX01", "EX02", "EX02", "EX02", "EX02"]);
    for (const t of plan.tenants)
      assert.match(readFileSync(join(share, t.certificate.file.split("/").pop() as string), "utf8"), /^-----BEGIN CERTIFICATE-----/);
  });

  it("2. the gate: the stack config and the certificates copied as the runbook says, then the gated preview", async () => {
    // The copy the runbook describes (the admin's file copy between machines).
    assert.deepEqual(copyPlanIntoProject({ planDir: join(work, "plan"), project, disks, shellScript: SHELL }), [
      "certs/adatum.pem",
      "certs/contoso.pem",
      "certs/fabrikam.pem",
      "certs/litware.pem",
    ]);
    await step(/^Gate the target/);
  });

  it("3. each tenant's own Send Connector, the shared ones narrowed and renamed", async () => {
    await step(/^Each tenant's own Send Connector/);
    assertOwnSendConnectors(estate);
  });

  it("4. each inbound connector names its certificate, one tenant per session, its IPs kept for now", async () => {
    await step(/^Each inbound connector names/);
    const adatum = server.state().tenants["adatum.onmicrosoft.com"]?.inboundConnectors ?? [];
    assert.deepEqual(
      adatum.map((c) => [c.Name, c.TlsSenderCertificateName, c.SenderIPAddresses]),
      [["Inbound from on-premises (relay.adatum.com)", "relay.adatum.com", ["203.0.113.25"]]],
    );
  });

  it("5. the tenant IDs the delivered messages' X-MS-Exchange-CrossTenant-Id are compared with (no mail is delivered here)", async () => {
    const printed = await step(/^Check that mail arrives/);
    assert.deepEqual(
      printed,
      Object.keys(TENANTS)
        .sort()
        .map((t) => `${t}: ${server.state().tenants[t]?.organizationId}`),
    );
  });

  it("6. apply: pulumi up adopts the renamed connectors and removes the sender IPs", async () => {
    await step(/^Apply/);
    assertHealthyOrganization(estate, (tenant) => server.state().tenants[tenant]?.inboundConnectors ?? []);
  });

  it("7. the re-export into a new folder, and its audit exits 0", async () => {
    // Its sh block is `mailflow-guard audit mailflow-guard-after`, which must exit 0 (sh asserts it).
    await step(/^Export again/);
    assert.deepEqual(readdirSync(join(work, "mailflow-guard-after")).sort(), ["_onprem", ...Object.keys(TENANTS).sort()]);
    // Planning the migrated organization from the new export: nothing to change, the same stack config.
    const again = await mailflowGuard(["plan", "mailflow-guard-after", "--endpoint", server.url, "--output", "plan-again"]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^Nothing to change: 4 tenants already have their own certificate and Send Connector\./);
    assert.equal(
      readFileSync(join(work, "plan-again", "Pulumi.migration.yaml"), "utf8").replace(/^# .*\n/, ""),
      readFileSync(join(work, "plan", "Pulumi.migration.yaml"), "utf8").replace(/^# .*\n/, ""),
    );
    // Every step of the runbook was carried out.
    assert.deepEqual([...done].sort(), steps.map((s) => s.title).sort());
  });
});
