import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CA_ANSWER, EMS, EXO, SH } from "../../cli/plan/render";
import { ExchangeOnlineClient, StaticTokenProvider } from "../../components/exo/client";
import { parsePowerShellLiteral } from "../../local-exchange-online/fake-exchange-shell";

/**
 * Reads a `mailflow-guard plan` runbook as an admin does: its steps, and in each the command blocks
 * to run (not the rollbacks), with the shell each names on its first line. And runs them in the
 * stand-ins: Exchange Management Shell blocks in the stand-in shell (fake-exchange-shell), Exchange
 * Online PowerShell blocks as ExchangeOnlineManagement 3 runs them (each cmdlet one InvokeCommand
 * call of the admin REST API, here Local Exchange Online's).
 */

export type Shell = typeof EMS | typeof EXO | typeof SH;

export interface RunbookBlock {
  readonly shell: Shell;
  /** The commands, without the shell line. */
  readonly lines: readonly string[];
  readonly rollback: boolean;
}

export interface RunbookStep {
  readonly title: string;
  readonly blocks: readonly RunbookBlock[];
}

export function parseRunbook(markdown: string): RunbookStep[] {
  const steps: { title: string; blocks: RunbookBlock[] }[] = [];
  let rollback = false;
  let block: { shell?: Shell; lines: string[] } | undefined;
  for (const line of markdown.split("\n")) {
    if (block) {
      if (line === "```") {
        if (!block.shell) throw new Error(`a runbook block does not name its shell on its first line: ${block.lines[0]}`);
        steps.at(-1)?.blocks.push({ shell: block.shell, lines: block.lines, rollback });
        block = undefined;
      } else if (block.shell === undefined) {
        if (line !== EMS && line !== EXO && line !== SH)
          throw new Error(`a runbook block does not name its shell on its first line: ${line}`);
        block.shell = line;
      } else block.lines.push(line);
      continue;
    }
    const heading = /^### \d+\. (.*)$/.exec(line);
    if (heading) {
      steps.push({ title: heading[1] as string, blocks: [] });
      rollback = false;
    } else if (line.startsWith("Rollback:")) rollback = true;
    else if (/^```(powershell|sh)$/.test(line)) block = { lines: [] };
  }
  return steps;
}

/** Runs an Exchange Management Shell block in the stand-in shell; rejects with its stderr unless it exits 0. */
export function runManagementShell(shellScript: string, lines: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [shellScript], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolvePromise(stdout)
        : reject(new Error(`Exchange Management Shell (stand-in) exited ${code}: ${stderr}\n${lines.join("\n")}`)),
    );
    child.stdin.end(`${lines.join("\n")}\n`);
  });
}

/** `-Name value` pairs of one cmdlet line: values are PowerShell literals ('…', 'a','b', $true, $null). */
function parameters(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pattern = /-(\w+)(:|\s+)((?:'(?:[^']|'')*'(?:,'(?:[^']|'')*')*)|\$\w+(?::\w+)?)/gy;
  let rest = text.trim();
  while (rest.length > 0) {
    pattern.lastIndex = 0;
    const match = pattern.exec(rest);
    if (!match) throw new Error(`cannot read the parameters "${rest}"`);
    const [whole, name, , raw] = match as unknown as [string, string, string, string];
    let value: unknown;
    if (raw.startsWith("$env:")) {
      value = process.env[raw.slice(5)];
      if (value === undefined) throw new Error(`$${raw.slice(1)} is not set`);
    } else if (raw.includes("','")) value = parsePowerShellLiteral(`@(${raw})`);
    else value = parsePowerShellLiteral(raw);
    out[name] = value;
    rest = rest.slice(whole.length).trim();
  }
  return out;
}

/** Windows-style relative path of the runbook, under the working folder. */
function local(cwd: string, windowsPath: string): string {
  if (/^[A-Za-z]:|^\\\\/.test(windowsPath)) throw new Error(`an Exchange Online block writes to ${windowsPath}: not a relative path`);
  return join(cwd, ...windowsPath.split("\\"));
}

/**
 * Runs an Exchange Online PowerShell block: Connect-ExchangeOnline starts one tenant's session
 * (its -AppId and -CertificateThumbprint must be given; the stand-in takes `token`), every cmdlet
 * goes to that tenant, Disconnect-ExchangeOnline ends it. Returns what the block prints.
 */
export async function runExchangeOnlinePowerShell(
  lines: readonly string[],
  options: { readonly endpoint: string; readonly token: string; readonly cwd: string },
): Promise<string[]> {
  const printed: string[] = [];
  let client: ExchangeOnlineClient | undefined;
  const session = (line: string): ExchangeOnlineClient => {
    if (!client) throw new Error(`outside a Connect-ExchangeOnline session: ${line}`);
    return client;
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const connect = /^Connect-ExchangeOnline (.*)$/.exec(line);
    if (connect) {
      if (client) throw new Error(`a second Connect-ExchangeOnline in one session: ${line}`);
      const params = parameters(connect[1] as string);
      for (const required of ["Organization", "AppId", "CertificateThumbprint"])
        if (typeof params[required] !== "string") throw new Error(`Connect-ExchangeOnline without -${required}: ${line}`);
      client = new ExchangeOnlineClient({
        endpoint: options.endpoint,
        tenant: params.Organization as string,
        auth: new StaticTokenProvider(options.token),
      });
      continue;
    }
    if (line === "Disconnect-ExchangeOnline -Confirm:$false") {
      session(line);
      client = undefined;
      continue;
    }
    const folder = /^New-Item -ItemType Directory -Force -Path ('(?:[^']|'')*') \| Out-Null$/.exec(line);
    if (folder) {
      mkdirSync(local(options.cwd, parsePowerShellLiteral(folder[1] as string) as string), { recursive: true });
      continue;
    }
    const exported = /^(Get-\w+) \| ConvertTo-Json -Depth 5 \| Set-Content -Path ('(?:[^']|'')*')$/.exec(line);
    if (exported) {
      const records = await session(line).invoke(exported[1] as string);
      writeFileSync(local(options.cwd, parsePowerShellLiteral(exported[2] as string) as string), JSON.stringify(records, null, 2));
      continue;
    }
    const organization = /^('(?:[^']|'')*') \+ \(Get-OrganizationConfig\)\.ExternalDirectoryOrganizationId$/.exec(line);
    if (organization) {
      const [config] = await session(line).invoke("Get-OrganizationConfig");
      printed.push(`${parsePowerShellLiteral(organization[1] as string)}${String(config?.ExternalDirectoryOrganizationId)}`);
      continue;
    }
    const cmdlet = /^((?:New|Set|Remove)-InboundConnector) (.*)$/.exec(line);
    if (cmdlet) {
      const { Confirm: _confirm, ...params } = parameters(cmdlet[2] as string);
      await session(line).invoke(cmdlet[1] as string, params);
      continue;
    }
    throw new Error(`not a command this runbook runner knows: ${line}`);
  }
  if (client) throw new Error("the block leaves its Exchange Online session open");
  return printed;
}

/** Where a carried-out runbook runs: the stand-ins and the admin's working folder. */
export interface RunbookContext {
  /** The stand-in Exchange Management Shell (dist/local-exchange-online/fake-exchange-shell.js). */
  readonly shellScript: string;
  /** The admin's working folder, where both shells run. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Local Exchange Online and the token it takes. */
  readonly endpoint: string;
  readonly token: string;
  /** The CA: given a request file's folder, answers each request in it (writes <name>.cer). */
  readonly answerRequests: (folder: string) => void;
  /** Runs the lines of an sh block (pulumi, mailflow-guard). */
  readonly sh: (lines: readonly string[]) => Promise<void>;
}

/** The folder on the stand-in's disks that a UNC path of the runbook names (MFG_FAKE_EXCHANGE_SHELL_FILES). */
export function onDisk(disks: string, unc: string): string {
  const [server, ...rest] = unc.replace(/^\\\\/, "").split("\\");
  return join(disks, (server as string).toUpperCase(), ...rest);
}

/**
 * Carries out one step as written: its command blocks (not its rollbacks) in the shell each names;
 * in the certificate block, the CA answers the requests where the runbook waits for it. Returns what
 * the Exchange Online blocks printed.
 */
export async function carryOut(step: RunbookStep, context: RunbookContext): Promise<string[]> {
  const printed: string[] = [];
  const ems = (lines: readonly string[]) => runManagementShell(context.shellScript, lines, context.cwd, context.env);
  for (const block of step.blocks.filter((b) => !b.rollback)) {
    if (block.shell === EMS) {
      const wait = block.lines.indexOf(CA_ANSWER);
      if (wait < 0) {
        await ems(block.lines);
        continue;
      }
      await ems(block.lines.slice(0, wait));
      for (const folder of new Set(block.lines.flatMap((l) => /-RequestFile '(\\\\[^']+)\\[^\\']+\.req'/.exec(l)?.slice(1) ?? [])))
        context.answerRequests(onDisk(context.env.MFG_FAKE_EXCHANGE_SHELL_FILES as string, folder));
      await ems(block.lines.slice(wait + 1));
    } else if (block.shell === EXO) {
      printed.push(
        ...(await runExchangeOnlinePowerShell(block.lines, { endpoint: context.endpoint, token: context.token, cwd: context.cwd })),
      );
    } else await context.sh(block.lines);
  }
  return printed;
}

/** The test CA's part: a certificate for the names of each request file in the folder, beside it as <name>.cer. */
export function answerWith(issue: (dnsNames: string[]) => string): (folder: string) => void {
  return (folder) => {
    for (const request of readdirSync(folder).filter((f) => f.endsWith(".req"))) {
      const { domainNames } = JSON.parse(readFileSync(join(folder, request), "utf8")) as { domainNames: string[] };
      writeFileSync(join(folder, request.replace(/\.req$/, ".cer")), issue(domainNames));
    }
  };
}

/**
 * What the gate step asks the admin to copy: the stack config into the project (with the stand-in
 * shell as the on-premises runner), and each certificate's public part from the share to its file.
 */
export function copyPlanIntoProject(options: {
  readonly planDir: string;
  readonly project: string;
  readonly disks: string;
  readonly shellScript: string;
  readonly stack?: string;
}): string[] {
  const stack = options.stack ?? "migration";
  const plan = JSON.parse(readFileSync(join(options.planDir, "plan.json"), "utf8")) as {
    tenants: { certificate: { file: string }; sendConnector: { target: { sourceTransportServers: string[] } } }[];
  };
  const copied: string[] = [];
  for (const { certificate, sendConnector } of plan.tenants) {
    // The runbook saves it on the tenant's first sending server.
    const share = join(options.disks, (sendConnector.target.sourceTransportServers[0] as string).toUpperCase(), "C$", "mailflow-guard");
    mkdirSync(dirname(join(options.project, certificate.file)), { recursive: true });
    copyFileSync(join(share, certificate.file.split("/").pop() as string), join(options.project, certificate.file));
    copied.push(certificate.file);
  }
  writeFileSync(
    join(options.project, `Pulumi.${stack}.yaml`),
    `${readFileSync(join(options.planDir, `Pulumi.${stack}.yaml`), "utf8")}  mailflow-guard:onPremisesShell: ["node", ${JSON.stringify(options.shellScript)}]\n`,
  );
  return copied;
}
