import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { runPowerShell } from "../../../components/onprem/runner";
import { create, remove, type SendConnectorInputs } from "../../../components/providers/send-connector-impl";

// The fake shell is a stand-in for on-premises Exchange Management Shell, not Microsoft's product.
const FAKE_SHELL = path.resolve(__dirname, "../../../local-exchange-online/fake-exchange-shell.js");

describe("a failed on-premises shell is one line, without stack frames", () => {
  test("a stand-in file that does not exist is named, without Node's loader trace", async () => {
    await assert.rejects(
      runPowerShell("Get-SendConnector", { command: [process.execPath, "/nonexistent-mfg/fake-shell.js"] }),
      (error: Error) => {
        assert.equal(
          error.message,
          `PowerShell command "${process.execPath}" exited with code 1: /nonexistent-mfg/fake-shell.js does not exist; check the file named in onPremises.shell`,
        );
        assert.equal(error.stack, `PowerShellError: ${error.message}`);
        return true;
      },
    );
  });

  test("a shell that is not installed names onPremises.shell", async () => {
    await assert.rejects(runPowerShell("Get-SendConnector", { command: ["/nonexistent-mfg/pwsh"] }), {
      message:
        'PowerShell command "/nonexistent-mfg/pwsh" could not be started: spawn /nonexistent-mfg/pwsh ENOENT (no such program; check onPremises.shell: ["/nonexistent-mfg/pwsh"])',
    });
  });

  test("a crashing shell's stack frames and repeated lines are left out", async () => {
    const crash =
      'const e = new Error("Remove-SendConnector : access denied"); console.error(e.stack); console.error(e.stack); process.exit(1)';
    await assert.rejects(runPowerShell("x", { command: [process.execPath, "-e", crash] }), (error: Error) => {
      assert.doesNotMatch(error.message, /\bat\s|\n/);
      assert.equal(error.message.split("access denied").length - 1, 1, error.message);
      return true;
    });
  });
});

describe("SendConnector provider: delete after an uncertain attempt", () => {
  test("a Remove-SendConnector that went through but whose retry reports it gone is a finished delete", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mfg-send-delete-"));
    const state = path.join(dir, "state.json");
    // A remoting wrapper that retries a dropped session: the first run applies, the second is the answer.
    const wrapper = path.join(dir, "retrying-shell.js");
    writeFileSync(
      wrapper,
      `const { spawnSync } = require("node:child_process");
const script = require("node:fs").readFileSync(0, "utf8");
const once = () => spawnSync(process.execPath, [${JSON.stringify(FAKE_SHELL)}], { input: script, encoding: "utf8" });
if (/Remove-SendConnector/.test(script)) once();
const result = once();
process.stdout.write(result.stdout); process.stderr.write(result.stderr); process.exit(result.status ?? 1);
`,
    );
    const inputs: SendConnectorInputs = {
      name: "Outbound to contoso.onmicrosoft.com",
      tenants: ["contoso.onmicrosoft.com"],
      addressSpaces: ["contoso.mail.onmicrosoft.com"],
      smartHosts: ["contoso.mail.protection.outlook.com"],
      dnsRoutingEnabled: false,
      requireTls: true,
      tlsAuthLevel: "DomainValidation",
      tlsDomain: "mail.protection.outlook.com",
      cloudServicesMailEnabled: true,
      sourceTransportServers: ["EX01"],
      owner: "unit/test",
      shell: [process.execPath, wrapper],
      shellEnv: { MFG_FAKE_EXCHANGE_SHELL_STATE: state },
    };
    const created = await create(inputs);
    await remove(created.id, created.outs as Parameters<typeof remove>[1]);
    await assert.rejects(
      runPowerShell(`Get-SendConnector -Identity 'Outbound to contoso.onmicrosoft.com'`, {
        command: [process.execPath, FAKE_SHELL],
        env: { ...process.env, MFG_FAKE_EXCHANGE_SHELL_STATE: state },
      }),
      /couldn't be found/,
    );
  });
});
