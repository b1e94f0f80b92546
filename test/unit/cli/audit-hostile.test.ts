import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { Collection, readPath } from "../../../cli/collect";
import { nodeFs } from "../../../cli/exports/files";
import { type CliIo, run } from "../../../cli/main";

/**
 * Hostile inputs, each generated here (nothing large is committed): every case ends with exit 2 and
 * the input named, or with the correct findings; never a stack trace or "This is a bug"; and the
 * good tenant beside the bad input is still audited. Each test has a timeout: a FIFO or a device
 * that were opened would hang it, which is the failure these tests exist to catch. Speed and
 * memory targets live in the bench (bench/), not here.
 */

type Files = Record<string, string | Buffer>;

const accepted = (tenant: string) =>
  JSON.stringify([
    { DomainName: `${tenant}.com`, DomainType: 0, InitialDomain: false },
    { DomainName: `relay.${tenant}.com`, DomainType: 0, InitialDomain: false },
    { DomainName: `${tenant}.onmicrosoft.com`, DomainType: 0, InitialDomain: true },
    { DomainName: `${tenant}.mail.onmicrosoft.com`, DomainType: 0, InitialDomain: false },
  ]);
const inbound = (tenant: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify([
    {
      Name: `Inbound from ${tenant}`,
      Enabled: true,
      ConnectorType: "OnPremises",
      SenderDomains: ["smtp:*;1"],
      SenderIPAddresses: [],
      TlsSenderCertificateName: `relay.${tenant}.com`,
      RequireTls: true,
      CloudServicesMailEnabled: true,
      ...extra,
    },
  ]);
const send = (tenant: string, extra: Record<string, unknown> = {}) => ({
  Name: `To ${tenant}`,
  AddressSpaces: [`smtp:${tenant}.mail.onmicrosoft.com;1`],
  SmartHosts: [`${tenant}.mail.protection.outlook.com`],
  DNSRoutingEnabled: false,
  RequireTLS: true,
  TlsAuthLevel: "DomainValidation",
  TlsDomain: "mail.protection.outlook.com",
  CloudServicesMailEnabled: true,
  ...extra,
});

/** contoso and fabrikam, each with its own send connector; fabrikam's does not require TLS (a known mandatory finding). */
const ESTATE: Files = {
  "contoso.onmicrosoft.com/AcceptedDomain.json": accepted("contoso"),
  "contoso.onmicrosoft.com/InboundConnector.json": inbound("contoso"),
  "fabrikam.onmicrosoft.com/AcceptedDomain.json": accepted("fabrikam"),
  "fabrikam.onmicrosoft.com/InboundConnector.json": inbound("fabrikam"),
  "_onprem/SendConnector.json": JSON.stringify([send("contoso"), send("fabrikam", { RequireTLS: false })]),
};

function tree(files: Files): string {
  const root = mkdtempSync(join(tmpdir(), "mfg-hostile-"));
  const dir = join(root, "export");
  mkdirSync(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  json?: {
    problems: string[];
    findings: { ruleId: string; tenant?: string; tenants?: string[]; message: string }[];
    summary: Record<string, unknown>;
  };
}

async function audit(dir: string, args: string[] = ["--format", "json"]): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: dirname(dir), env: {}, stderrIsTty: false };
  const code = await run(["audit", "export", "--now", "2026-06-01", ...args], io);
  const result: Result = { code, stdout, stderr };
  if (args.includes("json")) result.json = JSON.parse(stdout);
  // Never a crash: no stack frame and no "this is a bug", whatever the input.
  assert.doesNotMatch(stdout + stderr, /This is a bug|\n\s+at .+:\d+:\d+/);
  return result;
}

function fabrikamStillAudited(result: Result): void {
  assert.ok(
    result.json?.findings.some(
      (f) => f.ruleId === "send-connector-tls" && f.message.includes('"To fabrikam"') && f.message.includes("RequireTLS"),
    ),
    `fabrikam's RequireTLS finding is missing: ${JSON.stringify(result.json?.findings.map((f) => f.message))}`,
  );
}

/** Exit 2 with this exact problem line, and the rest of the estate still audited. */
async function expectProblem(files: Files, problem: string | RegExp, options: { keepsFabrikam?: boolean } = {}): Promise<Result> {
  const result = await audit(tree(files));
  assert.equal(result.code, 2, result.stdout);
  const problems = result.json?.problems ?? [];
  if (typeof problem === "string") assert.ok(problems.includes(problem), `expected:\n${problem}\ngot:\n${problems.join("\n")}`);
  else
    assert.ok(
      problems.some((p) => problem.test(p)),
      `expected ${problem}, got:\n${problems.join("\n")}`,
    );
  if (options.keepsFabrikam !== false) fabrikamStillAudited(result);
  return result;
}

const T = { timeout: 60_000 };

describe("audit on hostile inputs", () => {
  it("the control estate reads cleanly and reports fabrikam's send connector (exit 1)", T, async () => {
    const result = await audit(tree(ESTATE));
    assert.equal(result.code, 1);
    assert.deepEqual(result.json?.problems, []);
    fabrikamStillAudited(result);
  });

  describe("file system", () => {
    it("follows a symlinked tenant folder inside the export", T, async () => {
      const dir = tree({
        ...ESTATE,
        "folders/tailspin/AcceptedDomain.json": accepted("tailspin"),
        "folders/tailspin/InboundConnector.json": inbound("tailspin"),
      });
      symlinkSync(join(dir, "folders", "tailspin"), join(dir, "tailspin.onmicrosoft.com"));
      const result = await audit(dir);
      // Read once (the folder itself comes first), and the link to it is named, not read twice.
      assert.ok(result.json?.findings.some((f) => f.tenant === "tailspin.onmicrosoft.com" && f.ruleId === "send-connector-per-tenant"));
      assert.deepEqual(result.json?.problems, [
        "export/tailspin.onmicrosoft.com: leads to a folder already read (a symbolic link to it, or a loop); not read again",
      ]);
      fabrikamStillAudited(result);
    });

    it("names a symlinked tenant folder that points outside the export", T, async () => {
      const outside = tree({ "x/AcceptedDomain.json": accepted("tailspin"), "x/InboundConnector.json": inbound("tailspin") });
      const dir = tree(ESTATE);
      symlinkSync(join(outside, "x"), join(dir, "tailspin.onmicrosoft.com"));
      const result = await audit(dir);
      assert.equal(result.code, 2);
      assert.ok(
        result.json?.problems.includes(
          `export/tailspin.onmicrosoft.com: is a symbolic link to ${join(outside, "x")}, outside the export export; not read. Copy the file into the export or pass its folder on the command line.`,
        ),
        result.json?.problems.join("\n"),
      );
      fabrikamStillAudited(result);
    });

    it("names a symlinked stack export that points outside the export", T, async () => {
      const outside = tree({ "stack.json": JSON.stringify({ version: 3, deployment: { resources: [] } }) });
      const dir = tree(ESTATE);
      symlinkSync(join(outside, "stack.json"), join(dir, "stack.json"));
      await assert.doesNotReject(async () => {
        const result = await audit(dir);
        assert.equal(result.code, 2);
        assert.ok(result.json?.problems.some((p) => p.startsWith("export/stack.json: is a symbolic link to ")));
      });
    });

    it("detects a symlink loop", T, async () => {
      const dir = tree(ESTATE);
      symlinkSync(join(dir, "b"), join(dir, "a"));
      symlinkSync(join(dir, "a"), join(dir, "b"));
      const result = await audit(dir);
      assert.equal(result.code, 2);
      assert.ok(result.json?.problems.includes("export/a: symbolic link loop; not read"));
      fabrikamStillAudited(result);
    });

    it("detects a folder link back to an ancestor (a directory loop)", T, async () => {
      const dir = tree(ESTATE);
      symlinkSync(dir, join(dir, "_onprem", "again"));
      const result = await audit(dir);
      assert.equal(result.code, 2);
      assert.ok(
        result.json?.problems.includes(
          "export/_onprem/again: leads to a folder already read (a symbolic link to it, or a loop); not read again",
        ),
        result.json?.problems.join("\n"),
      );
    });

    it("names a broken symlink", T, async () => {
      const dir = tree(ESTATE);
      symlinkSync(join(dir, "nowhere"), join(dir, "_onprem", "ExchangeCertificate.json"));
      const result = await audit(dir);
      assert.equal(result.code, 2);
      assert.ok(result.json?.problems.includes("export/_onprem/ExchangeCertificate.json: broken symbolic link; not read"));
    });

    it("names a FIFO called InboundConnector.json and does not hang", T, async () => {
      const dir = tree({ ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": "" });
      const fifo = join(dir, "contoso.onmicrosoft.com", "InboundConnector.json");
      execFileSync("rm", [fifo]);
      execFileSync("mkfifo", [fifo]);
      const result = await audit(dir);
      assert.equal(result.code, 2);
      assert.ok(
        result.json?.problems.includes(
          "export/contoso.onmicrosoft.com/InboundConnector.json: is a FIFO (named pipe), not a regular file; not read",
        ),
      );
      fabrikamStillAudited(result);
    });

    it("names a link to /dev/zero and does not read it", T, async () => {
      const dir = tree(ESTATE);
      symlinkSync("/dev/zero", join(dir, "_onprem", "ExchangeCertificate.json"));
      const result = await audit(dir);
      assert.equal(result.code, 2);
      assert.ok(
        result.json?.problems.includes(
          "export/_onprem/ExchangeCertificate.json: is a symbolic link to /dev/zero, outside the export export; not read. Copy the file into the export or pass its folder on the command line.",
        ),
      );
    });

    it("names /dev/zero given on the command line as a character device", T, async () => {
      const collection = new Collection();
      readPath("/dev/zero", tmpdir(), collection);
      assert.deepEqual(collection.problems, ["/dev/zero: is a character device, not a file or folder; not read"]);
    });

    it("names a FIFO given on the command line", T, async () => {
      const dir = tree({});
      execFileSync("mkfifo", [join(dir, "pipe.json")]);
      const collection = new Collection();
      readPath(join(dir, "pipe.json"), dir, collection);
      assert.deepEqual(collection.problems, ["pipe.json: is a FIFO (named pipe), not a file or folder; not read"]);
    });

    // Tests run as root, and chmod 000 does not stop root from reading; the unreadable cases inject
    // the EACCES the file system gives an ordinary user at the same call.
    const failing = (match: (path: string) => boolean, call: "readdir" | "readFile") => ({
      ...nodeFs,
      [call]: (path: string, ...rest: [number]) => {
        if (match(path)) throw Object.assign(new Error("permission denied"), { code: "EACCES" });
        return (nodeFs[call] as (p: string, ...r: [number]) => unknown)(path, ...rest);
      },
    });

    it("names an unreadable tenant folder (EACCES) and still audits the others", T, async () => {
      const dir = tree(ESTATE);
      const collection = new Collection(
        undefined,
        undefined,
        failing((p) => p.endsWith("contoso.onmicrosoft.com"), "readdir"),
      );
      readPath(dir, dirname(dir), collection);
      assert.ok(collection.problems.includes("export/contoso.onmicrosoft.com: folder cannot be read (EACCES); nothing in it was audited"));
      assert.ok(collection.tenants.has("fabrikam.onmicrosoft.com"));
      assert.equal(
        collection.isPartlyRead("fabrikam.onmicrosoft.com"),
        true,
        "an unreadable folder of no known tenant leaves every tenant partly read",
      );
    });

    it("names an unreadable _onprem folder (EACCES): no tenant is then called clean", T, async () => {
      const dir = tree(ESTATE);
      const collection = new Collection(
        undefined,
        undefined,
        failing((p) => p.endsWith("_onprem"), "readdir"),
      );
      readPath(dir, dirname(dir), collection);
      assert.deepEqual(collection.problems, ["export/_onprem: folder cannot be read (EACCES); nothing in it was audited"]);
      assert.equal(collection.sendConnectors.length, 0);
      assert.equal(collection.isPartlyRead("contoso.onmicrosoft.com"), true);
    });

    it("names an unreadable file (EACCES)", T, async () => {
      const dir = tree(ESTATE);
      const collection = new Collection(
        undefined,
        undefined,
        failing((p) => p.endsWith("SendConnector.json"), "readFile"),
      );
      readPath(dir, dirname(dir), collection);
      assert.deepEqual(collection.problems, ["export/_onprem/SendConnector.json: cannot be read (EACCES)"]);
      assert.deepEqual(collection.notRead, [{ input: "export/_onprem/SendConnector.json", reason: "cannot be read (EACCES)" }]);
    });

    it("names _onprem when it is a file", T, async () => {
      const files: Files = Object.fromEntries(Object.entries(ESTATE).filter(([k]) => !k.startsWith("_onprem/")));
      files._onprem = "send connectors were here";
      const result = await audit(tree(files));
      assert.equal(result.code, 2);
      assert.ok(
        result.json?.problems.includes(
          "export/_onprem: is neither JSON (ConvertTo-Json) nor Export-Clixml XML; the audit reads Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output saved either way",
        ),
      );
    });

    it("refuses a file over the size limit without reading it whole", T, async () => {
      const dir = tree(ESTATE);
      const big = join(dir, "_onprem", "ExchangeCertificate.json");
      writeFileSync(big, "");
      truncateSync(big, 64 * 1024 * 1024 + 1);
      const result = await audit(dir);
      assert.equal(result.code, 2);
      assert.ok(
        result.json?.problems.includes(
          "export/_onprem/ExchangeCertificate.json: is larger than 64 MiB, the limit for one export file; split the export (one file per tenant or per server)",
        ),
      );
      fabrikamStillAudited(result);
    });

    it("stops at the folder depth limit and names the folder", T, async () => {
      const deep = `${Array.from({ length: 10 }, (_, i) => `d${i}`).join("/")}/x.onmicrosoft.com/AcceptedDomain.json`;
      const result = await audit(tree({ ...ESTATE, [deep]: accepted("x") }));
      assert.equal(result.code, 2);
      assert.ok(
        result.json?.problems.some((p) => /^export\/d0\/d1\/.*d8: is more than 8 folder levels below the path given; not read/.test(p)),
      );
    });

    it("names a path that does not exist", T, async () => {
      const collection = new Collection();
      readPath("/nonexistent/export", tmpdir(), collection);
      assert.deepEqual(collection.problems, ["/nonexistent/export: no such file or folder"]);
    });

    it("reports an empty export folder", T, async () => {
      const result = await audit(tree({}));
      assert.equal(result.code, 2);
      assert.match(result.json?.problems[0] ?? "", /^export: holds no exports the audit reads/);
    });
  });

  describe("recognized by content", () => {
    it("expects exit 2 naming an unknown file in _onprem/", T, async () => {
      const result = await expectProblem(
        { ...ESTATE, "_onprem/ReceiveConnector.json": JSON.stringify([{ Name: "Default Frontend EXCH01", Bindings: ["0.0.0.0:25"] }]) },
        "export/_onprem/ReceiveConnector.json: holds record [0], which is not Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output; the audit does not read it. Remove it from the export folder or pass only the folders to audit.",
      );
      assert.ok(
        ((result.json?.summary.inputsNotRead ?? []) as { input: string }[]).some((n) => n.input === "export/_onprem/ReceiveConnector.json"),
      );
    });

    it("names a text file in a tenant folder", T, async () => {
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/notes.txt": "exported on Monday" },
        "export/contoso.onmicrosoft.com/notes.txt: is neither JSON (ConvertTo-Json) nor Export-Clixml XML; the audit reads Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output saved either way",
      );
    });

    it("names a hidden file (.DS_Store)", T, async () => {
      await expectProblem({ ...ESTATE, ".DS_Store": Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]) }, /^export\/\.DS_Store: /);
    });

    it("refuses InboundConnector.csv with the reason and the two commands that work", T, async () => {
      const result = await expectProblem(
        {
          ...ESTATE,
          "contoso.onmicrosoft.com/InboundConnector.json": "",
          "contoso.onmicrosoft.com/InboundConnector.csv":
            '#TYPE Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.TenantInboundConnector\n"Name","SenderIPAddresses"\n"Inbound","System.Object[]"\n',
        },
        'export/contoso.onmicrosoft.com/InboundConnector.csv: is CSV (Export-Csv). CSV flattens multi-valued properties (SenderIPAddresses, SmartHosts, AddressSpaces become one string or "System.Object[]"), so it cannot be audited. Export it with Get-InboundConnector | Export-Clixml InboundConnector.xml, or Get-InboundConnector | ConvertTo-Json -Depth 5 | Out-File InboundConnector.json -Encoding utf8',
      );
      assert.ok(!result.json?.problems.some((p) => /missing/.test(p) && p.includes("InboundConnector")));
    });

    it("refuses CSV saved as .json by its content, not as a cut-off export", T, async () => {
      await expectProblem(
        {
          ...ESTATE,
          "contoso.onmicrosoft.com/InboundConnector.json": '"Name","SenderIPAddresses","Enabled"\n"Inbound","198.51.100.7","True"\n',
        },
        /^export\/contoso\.onmicrosoft\.com\/InboundConnector\.json: is CSV \(Export-Csv\)\. /,
      );
    });

    it("never prints No findings for a tenant whose inputs were not all read", T, async () => {
      const dir = tree({ ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": '"Name","Enabled"\n"a","True"\n' });
      const text = await audit(dir, []);
      assert.equal(text.code, 2);
      assert.doesNotMatch(text.stdout, /^No findings: .*contoso/m);
      assert.match(text.stdout, /^No findings in what was read, but not all inputs were read \(see below\): contoso\.onmicrosoft\.com$/m);
    });

    for (const name of ["sendconnector.json", "Get-SendConnector.json", "SENDCONNECTORS.JSON", "send-connector.json", "anything.json"]) {
      it(`reads send connectors saved as ${name}`, T, async () => {
        const files: Files = Object.fromEntries(Object.entries(ESTATE).filter(([k]) => !k.startsWith("_onprem/")));
        files[`_onprem/${name}`] = ESTATE["_onprem/SendConnector.json"] as string;
        const result = await audit(tree(files));
        assert.equal(result.code, 1);
        fabrikamStillAudited(result);
      });
    }

    it("names a file that mixes cmdlets", T, async () => {
      await expectProblem(
        {
          ...ESTATE,
          "_onprem/all.json": JSON.stringify([send("contoso"), { Thumbprint: "AB".repeat(20), Subject: "CN=x", Issuer: "CN=x" }]),
        },
        "export/_onprem/all.json: mixes Get-SendConnector and Get-ExchangeCertificate output; save each cmdlet's output in its own file.",
      );
    });

    it("names binary garbage", T, async () => {
      await expectProblem(
        { ...ESTATE, "_onprem/blob.bin": Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]) },
        /^export\/_onprem\/blob\.bin: /,
      );
    });

    it("names an empty file", T, async () => {
      await expectProblem(
        { ...ESTATE, "_onprem/ExchangeCertificate.json": "" },
        "export/_onprem/ExchangeCertificate.json: is empty (expected ConvertTo-Json or Export-Clixml output)",
      );
    });

    it("names a truncated export", T, async () => {
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": inbound("contoso").slice(0, 60) },
        /^export\/contoso\.onmicrosoft\.com\/InboundConnector\.json: is not complete JSON .*the export was cut off/,
      );
    });
  });

  describe("values of an unexpected type are problems, never empty values", () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "a sender IP as an object with an unknown key",
        { TlsSenderCertificateName: null, SenderIPAddresses: [{ IPAddress: "198.51.100.7" }] },
        'export/contoso.onmicrosoft.com/InboundConnector.json: [0].SenderIPAddresses[0]: {"IPAddress":"198.51.100.7"} is not an IP address or range (expected a string such as "198.51.100.7" or "198.51.100.0/24", or an IPRange object)',
      ],
      [
        "a sender IP as a number",
        { TlsSenderCertificateName: null, SenderIPAddresses: [3325256711] },
        'export/contoso.onmicrosoft.com/InboundConnector.json: [0].SenderIPAddresses[0]: 3325256711 is not an IP address or range (expected a string such as "198.51.100.7" or "198.51.100.0/24", or an IPRange object)',
      ],
      [
        "TlsSenderCertificateName as an array",
        { TlsSenderCertificateName: ["relay.contoso.com", "relay.fabrikam.com"] },
        'export/contoso.onmicrosoft.com/InboundConnector.json: [0].TlsSenderCertificateName: ["relay.contoso.com","relay.fabrikam.com"] is not a certificate domain (a string such as relay.contoso.com)',
      ],
      [
        "TlsSenderCertificateName as a number",
        { TlsSenderCertificateName: 42 },
        "export/contoso.onmicrosoft.com/InboundConnector.json: [0].TlsSenderCertificateName: 42 is not a certificate domain (a string such as relay.contoso.com)",
      ],
      [
        "Enabled as a word",
        { Enabled: "yes" },
        'export/contoso.onmicrosoft.com/InboundConnector.json: [0].Enabled: "yes" is not a boolean (expected true or false)',
      ],
      [
        "an unknown ConnectorType",
        { ConnectorType: "Hybrid" },
        'export/contoso.onmicrosoft.com/InboundConnector.json: [0].ConnectorType: unknown value "Hybrid" (expected OnPremises or Partner)',
      ],
      [
        "SenderDomains as an object with unknown keys",
        { SenderDomains: [{ Pattern: "*" }] },
        'export/contoso.onmicrosoft.com/InboundConnector.json: [0].SenderDomains[0]: {"Pattern":"*"} is not a sender domain (expected a string such as "smtp:*;1" or an AddressSpace object)',
      ],
    ];
    for (const [what, extra, problem] of cases) {
      it(what, T, async () => {
        await expectProblem({ ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": inbound("contoso", extra) }, problem);
      });
    }

    it("SmartHosts as an object with unknown keys", T, async () => {
      await expectProblem(
        {
          ...ESTATE,
          "_onprem/SendConnector.json": JSON.stringify([
            send("contoso", { SmartHosts: [{ Host: "x" }] }),
            send("fabrikam", { RequireTLS: false }),
          ]),
        },
        'export/_onprem/SendConnector.json: [0].SmartHosts[0]: {"Host":"x"} is not a smart host (expected a host name, "[10.0.0.1]" or a SmartHost object with Domain or Address)',
      );
    });

    it("AddressSpaces as an object with unknown keys", T, async () => {
      await expectProblem(
        {
          ...ESTATE,
          "_onprem/SendConnector.json": JSON.stringify([
            send("contoso", { AddressSpaces: { Space: "contoso" } }),
            send("fabrikam", { RequireTLS: false }),
          ]),
        },
        'export/_onprem/SendConnector.json: [0].AddressSpaces[0]: {"Space":"contoso"} is not an address space (expected a string such as "SMTP:contoso.mail.onmicrosoft.com;1" or an AddressSpace object with Address or Domain)',
      );
    });

    it("TlsCertificateName as a number", T, async () => {
      await expectProblem(
        {
          ...ESTATE,
          "_onprem/SendConnector.json": JSON.stringify([
            send("contoso", { TlsCertificateName: 7 }),
            send("fabrikam", { RequireTLS: false }),
          ]),
        },
        'export/_onprem/SendConnector.json: [0].TlsCertificateName: 7 is not a certificate name (expected "<I>issuer<S>subject" or an SmtpX509Identifier with CertificateIssuer and CertificateSubject)',
      );
    });

    it("InboundConnector.json holding null", T, async () => {
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": "null" },
        "export/contoso.onmicrosoft.com/InboundConnector.json: holds null, not Get-AcceptedDomain, Get-InboundConnector, Get-SendConnector or Get-ExchangeCertificate output. A tenant without connectors exports [] (ConvertTo-Json -InputObject @(Get-InboundConnector))",
      );
    });

    it("a record that is a string", T, async () => {
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": `[${inbound("contoso").slice(1, -1)}, "Inbound 2"]` },
        'export/contoso.onmicrosoft.com/InboundConnector.json: [1]: is "Inbound 2", not an object (expected a Get-InboundConnector record)',
      );
    });

    it("two InitialDomain true records in one file", T, async () => {
      const domains = JSON.parse(accepted("contoso")) as object[];
      domains.push({ DomainName: "tailspin.onmicrosoft.com", DomainType: 0, InitialDomain: true });
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/AcceptedDomain.json": JSON.stringify(domains) },
        'export/contoso.onmicrosoft.com/AcceptedDomain.json: [4].InitialDomain: is true for "tailspin.onmicrosoft.com" and for "contoso.onmicrosoft.com" ([2].DomainName); a tenant has one initial domain, so this file mixes two tenants. Export each tenant into its own folder.',
      );
    });

    it("the same tenant in two folders", T, async () => {
      await expectProblem(
        { ...ESTATE, "copy/AcceptedDomain.json": accepted("contoso"), "copy/InboundConnector.json": inbound("contoso") },
        'export/copy: tenant "contoso.onmicrosoft.com" was already read from export/contoso.onmicrosoft.com/AcceptedDomain.json; this copy is ignored',
      );
    });

    it('"deployment": null in a stack export', T, async () => {
      await expectProblem(
        { ...ESTATE, "stack.json": JSON.stringify({ version: 3, deployment: null }) },
        'export/stack.json: deployment is null, not an object; this is not a complete "pulumi stack export". Export it again.',
      );
    });

    it("resources as an object in a stack export", T, async () => {
      await expectProblem(
        { ...ESTATE, "stack.json": JSON.stringify({ version: 3, deployment: { resources: { a: 1 } } }) },
        'export/stack.json: deployment.resources is an object, not an array; this is not a complete "pulumi stack export". Export it again.',
      );
    });

    it("a resource without type and urn in a stack export", T, async () => {
      await expectProblem(
        { ...ESTATE, "stack.json": JSON.stringify({ version: 3, deployment: { resources: [42] } }) },
        'export/stack.json: deployment.resources[0] is not a resource with a "type" and a "urn" string',
      );
    });
  });

  describe("dates and encodings", () => {
    const certificate = (notAfter: string) =>
      JSON.stringify([
        {
          Thumbprint: "AB".repeat(20),
          Subject: "CN=relay.contoso.com",
          Issuer: "CN=CA",
          NotBefore: "2026-01-01T00:00:00Z",
          NotAfter: notAfter,
        },
      ]);

    it("refuses 2026-02-30 instead of reading it as 2 March", T, async () => {
      await expectProblem(
        { ...ESTATE, "_onprem/ExchangeCertificate.json": certificate("2026-02-30T00:00:00Z") },
        'export/_onprem/ExchangeCertificate.json: [0].NotAfter: "2026-02-30T00:00:00Z" is not a date (expected /Date(1767225600000)/ or an ISO 8601 date that exists, such as 2026-02-28T00:00:00Z)',
      );
    });

    it("refuses month 13", T, async () => {
      await expectProblem(
        { ...ESTATE, "_onprem/ExchangeCertificate.json": certificate("2026-13-01") },
        /\[0\]\.NotAfter: "2026-13-01" is not a date/,
      );
    });

    it("reports a stray byte in a UTF-16 file", T, async () => {
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(inbound("contoso"), "utf16le"), Buffer.from([0x41])]);
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": utf16 },
        `export/contoso.onmicrosoft.com/InboundConnector.json: is UTF-16 but has an odd number of bytes: a stray byte at offset ${utf16.length - 1}. Export it again (Out-File -Encoding utf8, or Export-Clixml).`,
      );
    });

    it("reports an unpaired surrogate in a UTF-16 file", T, async () => {
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(inbound("contoso"), "utf16le"), Buffer.from([0x00, 0xd8])]);
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": utf16 },
        /is UTF-16 with an unpaired surrogate \(0xD800\)/,
      );
    });

    it("reports a byte that is not UTF-8", T, async () => {
      const bad = Buffer.concat([
        Buffer.from(inbound("contoso").slice(0, 20)),
        Buffer.from([0xc3, 0x28]),
        Buffer.from(inbound("contoso").slice(20)),
      ]);
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": bad },
        /is not valid UTF-8 \(byte 0xC3 at offset 20\)/,
      );
    });

    it("reads UTF-16LE with a BOM (Windows PowerShell 5.1 > file) and UTF-8 with a BOM", T, async () => {
      const result = await audit(
        tree({
          ...ESTATE,
          "contoso.onmicrosoft.com/InboundConnector.json": Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            Buffer.from(inbound("contoso"), "utf16le"),
          ]),
          "contoso.onmicrosoft.com/AcceptedDomain.json": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(accepted("contoso"))]),
        }),
      );
      assert.equal(result.code, 1);
      assert.deepEqual(result.json?.problems, []);
    });
  });

  describe("nesting and size", () => {
    it("refuses JSON nested 6,000 levels inside a field, naming the file", T, async () => {
      const deep = `[{"Name":"x","ConnectorType":"OnPremises","Comment":${"[".repeat(6000)}${"]".repeat(6000)}}]`;
      await expectProblem(
        { ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": deep },
        "export/contoso.onmicrosoft.com/InboundConnector.json: nests JSON 6002 levels deep, beyond the limit of 100 (ConvertTo-Json writes at most 100); this is not an export the audit reads",
      );
    });

    it("refuses CliXml nested 6,000 elements deep, naming the file", T, async () => {
      const deep = `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">${"<Obj><Props>".repeat(3000)}${"</Props></Obj>".repeat(3000)}</Objs>`;
      await expectProblem(
        { ...ESTATE, "_onprem/ExchangeCertificate.xml": deep },
        /^export\/_onprem\/ExchangeCertificate\.xml: nests elements deeper than 100 levels \(line 1\)/,
      );
    });

    it("reads 125,000 connectors in one file", T, async () => {
      const many = Array.from({ length: 125_000 }, (_, i) => ({
        Name: `Partner ${i}`,
        ConnectorType: "Partner",
        SenderDomains: [`smtp:partner${i}.example;1`],
        RequireTls: true,
      }));
      const result = await audit(
        tree({ ...ESTATE, "contoso.onmicrosoft.com/InboundConnector.json": JSON.stringify([JSON.parse(inbound("contoso"))[0], ...many]) }),
      );
      assert.equal(result.code, 1);
      assert.equal(result.json?.summary.inboundConnectors, 125_002);
      fabrikamStillAudited(result);
    });
  });

  describe("text output neutralizes control characters", () => {
    const forged = "Inbound\u001b[2J\u001b]0;owned\u0007\nMANDATORY  fake-finding  inbound connector \u202Eevil";
    it("in connector names", T, async () => {
      const dir = tree({
        ...ESTATE,
        "contoso.onmicrosoft.com/InboundConnector.json": inbound("contoso", {
          Name: forged,
          TlsSenderCertificateName: "relay.fabrikam.com",
        }),
      });
      const text = await audit(dir, []);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
      assert.doesNotMatch(text.stdout, /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
      assert.doesNotMatch(text.stdout, /^MANDATORY {2}fake-finding/m);
      assert.match(text.stdout, /Inbound\\x1B\[2J\\x1B\]0;owned\\x07\\x0AMANDATORY {2}fake-finding {2}inbound connector \\u202Eevil/);
    });

    it("in file paths", T, async () => {
      const text = await audit(tree({ ...ESTATE, "_onprem/\u001b[31mred\nMANDATORY.txt": "x" }), []);
      assert.equal(text.code, 2);
      assert.match(text.stdout, /export\/_onprem\/\\x1B\[31mred\\x0AMANDATORY\.txt: /);
      assert.equal(text.stdout.includes("\u001b"), false);
    });
  });

  describe("ScubaGear exports", () => {
    const scuba = (extra: Record<string, unknown>) =>
      JSON.stringify({
        accepted_domains: JSON.parse(accepted("tailspin")),
        inbound_connectors: JSON.parse(inbound("tailspin")),
        exo_unsuccessful_commands: [],
        ...extra,
      });
    it("names a cmdlet ScubaGear could not run", T, async () => {
      await expectProblem(
        { ...ESTATE, "scuba/ProviderSettingsExport.json": scuba({ exo_unsuccessful_commands: ["Get-InboundConnector"] }) },
        "export/scuba/ProviderSettingsExport.json: ScubaGear could not run Get-InboundConnector for this tenant (it is listed in exo_unsuccessful_commands); its output is missing. Run ScubaGear again with the Exchange Online permissions it documents.",
      );
    });
    it("names an export without inbound_connectors", T, async () => {
      const value = JSON.parse(scuba({}));
      delete value.inbound_connectors;
      await expectProblem(
        { ...ESTATE, "scuba/ProviderSettingsExport.json": JSON.stringify(value) },
        'export/scuba/ProviderSettingsExport.json: has no "inbound_connectors"; ScubaGear versions that do not export Get-InboundConnector cannot be audited alone. Add InboundConnector.xml (Export-Clixml) to the same folder or use a newer ScubaGear.',
      );
    });
    it("names inbound_connectors that is not an array", T, async () => {
      await expectProblem(
        { ...ESTATE, "scuba/ProviderSettingsExport.json": scuba({ inbound_connectors: { Name: "x" } }) },
        'export/scuba/ProviderSettingsExport.json: inbound_connectors is {"Name":"x"}, not an array (ScubaGear writes ConvertTo-Json @(...))',
      );
    });
    it("names a bad value inside it by its ScubaGear path", T, async () => {
      await expectProblem(
        {
          ...ESTATE,
          "scuba/ProviderSettingsExport.json": scuba({
            inbound_connectors: [{ ...JSON.parse(inbound("tailspin"))[0], SenderIPAddresses: [7] }],
          }),
        },
        'export/scuba/ProviderSettingsExport.json: inbound_connectors[0].SenderIPAddresses[0]: 7 is not an IP address or range (expected a string such as "198.51.100.7" or "198.51.100.0/24", or an IPRange object)',
      );
    });
  });
});
