import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import { type CliIo, run } from "../../../cli/main";
import { AUDIT_USAGE, MAIN_USAGE } from "../../../cli/usage";
import { makeCertificatePem } from "../../support/certs";

// The mistakes a new user makes in the first hour (issue 18): each one line naming the input and the fix.
const ROOT = join(__dirname, "..", "..", "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures", "audit");
const VENDOR = ["--add-on-connector", "Signature service relay (Vendor)"];

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = FIXTURES) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env, stderrIsTty: false };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), "mfg-first-hour-"));

/** A live audit with app-only sign-in from these two files. */
const appOnly = (certificateFile: string, privateKeyFile: string) =>
  cli([
    "audit",
    "--live",
    "contoso.onmicrosoft.com",
    "--client-id",
    "00000000-0000-0000-0000-000000000001",
    "--certificate-file",
    certificateFile,
    "--private-key-file",
    privateKeyFile,
  ]);

describe("first hour: flags and help", () => {
  it("answers a mistyped option with the option it resembles, quotes balanced", async () => {
    const { code, stdout, stderr } = await cli(["audit", "brownfield", "--formt", "json"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr, 'mailflow-guard: error: unknown option "--formt". Did you mean "--format"?\nSee "mailflow-guard audit --help".\n');
  });

  it("names an unknown option without a guess when nothing is close", async () => {
    const { stderr } = await cli(["inventory", "brownfield", "--zzzzzzzz"]);
    assert.equal(stderr, 'mailflow-guard: error: unknown option "--zzzzzzzz".\nSee "mailflow-guard inventory --help".\n');
  });

  it("'help audit' prints the audit help", async () => {
    const { code, stdout } = await cli(["help", "audit"]);
    assert.equal(code, 0);
    assert.equal(stdout, `${AUDIT_USAGE}\n`);
  });

  it("aligns every option's description in the help", () => {
    // An option line whose description starts on the same line: "  --flag <value>   Description".
    const starts = AUDIT_USAGE.split("\n")
      .map((line) => /^ {2}(--[a-z-]+(?: <[^>]+>| [a-z|]+)?(?:, --[a-z-]+)?) +([^-<\s]\S* \S.*)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => (match.input as string).indexOf(match[2] as string));
    assert.ok(starts.length > 5);
    assert.deepEqual(new Set(starts), new Set([29]), AUDIT_USAGE);
  });
});

describe("first hour: paths", () => {
  it("names a missing path once", async () => {
    const { code, stdout } = await cli(["audit", "/nonexistent-mfg"]);
    assert.equal(code, 2);
    assert.equal(stdout.split("/nonexistent-mfg").length - 1, 1, stdout);
    assert.match(stdout, /^ {2}\/nonexistent-mfg: no such file or folder$/m);
  });

  it("refuses --output into a missing folder before reading anything, in one line", async () => {
    const { code, stdout, stderr } = await cli(["audit", "brownfield", ...VENDOR, "--output", "/nonexistent-mfg/dir/a.json"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      'mailflow-guard: error: --output /nonexistent-mfg/dir/a.json: folder /nonexistent-mfg/dir does not exist; create it (mkdir -p /nonexistent-mfg/dir) or write the report elsewhere\nSee "mailflow-guard audit --help".\n',
    );
  });

  it("keeps the report on stdout when the file cannot be written", async () => {
    // A file no one can write, root included (procfs answers EIO): the write itself fails.
    const { code, stdout, stderr } = await cli(["audit", "brownfield", ...VENDOR, "--format", "json", "--output", "/proc/version"]);
    assert.equal(code, 2);
    assert.equal(JSON.parse(stdout).tool, "mailflow-guard");
    assert.equal(stderr, 'mailflow-guard: error: --output /proc/version: cannot be written (EIO)\nSee "mailflow-guard audit --help".\n');
  });

  it("plan --output naming an existing file is one line, exit 2, nothing written", async () => {
    const file = join(tmp(), "plan");
    writeFileSync(file, "mine\n");
    const { code, stderr } = await cli(["plan", "brownfield", ...VENDOR, "--output", file]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `mailflow-guard: error: --output ${file}: is a file; plan writes a folder (created if missing). Give a new or existing folder\nSee "mailflow-guard plan --help".\n`,
    );
    assert.equal(readFileSync(file, "utf8"), "mine\n");
  });
});

describe("first hour: secrets and keys", () => {
  it("never echoes a hex token (32, 40, 64 characters, either case) given to --token-env", async () => {
    const hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    for (const token of [hex, hex.toUpperCase(), hex.slice(0, 40), hex.slice(0, 32).toUpperCase()]) {
      const { code, stderr } = await cli(["audit", "--live", "contoso.onmicrosoft.com", "--token-env", token]);
      assert.equal(code, 2);
      assert.equal(stderr.includes(token), false, stderr);
      assert.match(stderr, new RegExp(`but what was given \\(${token.length} characters\\) looks like a value`));
    }
  });

  it("never echoes a PEM block given to --token-env, whatever its header's case", async () => {
    const pem = "-----BEGIN private key-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END private key-----";
    const { code, stderr } = await cli(["audit", "--live", "contoso.onmicrosoft.com", "--token-env", pem]);
    assert.equal(code, 2);
    assert.equal(stderr.includes("MIIE"), false, stderr);
    assert.equal(stderr.includes("BEGIN"), false, stderr);
  });

  it("a private key given to --certificate-file names the flag and says it is a private key", async () => {
    const dir = tmp();
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const key = join(dir, "app.key");
    writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }));
    const { code, stderr } = await appOnly(key, key);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `mailflow-guard: error: --certificate-file ${key}: this is a private key, not a certificate. Give the certificate (-----BEGIN CERTIFICATE-----) to --certificate-file and the key to --private-key-file\nSee "mailflow-guard audit --help".\n`,
    );
  });
});

describe("first hour: the app's key files", () => {
  it("a certificate given to --private-key-file names the flag and says it holds no private key", async () => {
    const dir = tmp();
    const certificate = join(dir, "app.crt");
    writeFileSync(certificate, makeCertificatePem({ dnsNames: ["app.contoso.com"] }));
    const { code, stderr } = await appOnly(certificate, certificate);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `mailflow-guard: error: --private-key-file ${certificate}: holds no private key (-----BEGIN PRIVATE KEY-----). Give the app's private key in PEM form\nSee "mailflow-guard audit --help".\n`,
    );
  });
});

describe("first hour: the package's commands", () => {
  it("the main help says how to reach a command's own help", async () => {
    const { code, stdout } = await cli(["--help"]);
    assert.equal(code, 0);
    assert.equal(stdout, `${MAIN_USAGE}\n`);
    assert.match(
      MAIN_USAGE,
      /^Run "mailflow-guard <command> --help" \(or "mailflow-guard help <command>"\) for the options of a command\.$/m,
    );
  });

  it("mailflow-guard-local-exo --help names the command (not main.js) and says it is a stand-in", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "dist", "local-exchange-online", "main.js"), "--help"], { encoding: "utf8" });
    assert.match(out, /^Usage: mailflow-guard-local-exo \[--port <n>\]/);
    assert.doesNotMatch(out, /main\.js/);
    assert.match(out, /^Local Exchange Online: .*stand-in/m);
  });

  it("every bin of package.json is built executable (npx in a clone)", () => {
    const { bin } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    for (const [name, file] of Object.entries(bin)) {
      const path = join(ROOT, file);
      assert.ok(existsSync(path), `${name}: ${file} not built`);
      assert.equal(statSync(path).mode & 0o111, 0o111, `${name}: ${file} is not executable`);
      assert.match(readFileSync(path, "utf8"), /^#!(\/usr\/bin\/env node|\/bin\/sh)\n/, `${name}: ${file} has no shebang`);
    }
  });
});
