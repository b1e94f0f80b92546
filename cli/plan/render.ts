import { DEFAULT_CLOUD } from "../../policy/src/engine/clouds";
import type { MigrationPlan, TenantPlan } from "./planner";

/** The three files `mailflow-guard plan` writes, rendered from one MigrationPlan. */

/** YAML scalars as JSON strings: valid YAML, and no value can break out of its line. */
function y(value: string): string {
  return JSON.stringify(value);
}

function yList(values: readonly string[]): string {
  return `[${values.map(y).join(", ")}]`;
}

/** Pulumi.<stack>.yaml for the root project (program/config.ts). */
export function renderStackConfig(plan: MigrationPlan, header: string): string {
  const lines = [
    `# ${header}`,
    "# Stack config for the root project (Pulumi.yaml + program/). Copy it, and the certificate files it",
    `# names, into the project folder, then: pulumi stack init ${plan.stack}; pulumi preview --policy-pack policy.`,
    "# adopt: the existing connector of that name is taken over (updated in place, marked as this stack's)",
    "# by the first pulumi up; if it does not exist then, it is created.",
    "config:",
    ...(plan.cloud === DEFAULT_CLOUD ? [] : [`  mailflow-guard:cloud: ${plan.cloud}`]),
    `  mailflow-guard:exchangeOnlineEndpoint: ${y(plan.exchangeOnlineEndpoint)}`,
    `  mailflow-guard:sourceTransportServers: ${yList(plan.sourceTransportServers)}`,
    "  mailflow-guard:tenants:",
  ];
  for (const t of plan.tenants) {
    lines.push(
      `    - name: ${y(t.tenant)}`,
      `      acceptedDomains: ${yList(t.acceptedDomains)}`,
      `      certificateName: ${y(t.certificateName)}`,
      `      certificateFile: ${y(t.certificate.file)}`,
      "      adopt:",
      `        inboundConnector: ${y(t.inbound.name)}`,
      `        sendConnector: ${y(t.send.name)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** plan.json: what a machine needs (CI, a change ticket). */
export function renderPlanJson(plan: MigrationPlan, meta: { tool: string; version: string; inputs: readonly string[] }): string {
  return `${JSON.stringify(
    {
      tool: meta.tool,
      version: meta.version,
      inputs: meta.inputs,
      stack: plan.stack,
      changes: plan.changes,
      nothingToChange: plan.changes === 0,
      files: { runbook: "runbook.md", stackConfig: `Pulumi.${plan.stack}.yaml` },
      sourceTransportServers: plan.sourceTransportServers,
      tenants: plan.tenants.map((t) => ({
        tenant: t.tenant,
        acceptedDomains: t.acceptedDomains,
        certificateName: t.certificateName,
        keptName: t.keptName,
        reason: t.reason,
        certificate: t.certificate,
        inboundConnector: { name: t.inbound.name, exists: t.inbound.adopt, changes: t.inbound.changes },
        sendConnector: { name: t.send.name, exists: t.send.adopt, changes: t.send.changes },
        removeInboundConnectors: t.removeInbound.map((c) => c.name),
      })),
      removeSendConnectors: plan.removeSendConnectors.map((c) => c.name),
      untouchedTenants: plan.untouched,
      attribution: plan.attribution,
      findings: plan.findings.map((f) => ({
        ruleId: f.ruleId,
        severity: f.severity,
        tenant: f.tenant,
        resource: f.resource.name,
        message: f.message,
      })),
    },
    null,
    2,
  )}\n`;
}

/** A PowerShell single-quoted literal: every value is data, never code. */
function ps(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

function psList(values: readonly string[]): string {
  return values.map(ps).join(",");
}

function certificateCommands(t: TenantPlan, servers: readonly string[]): string[] {
  const [first, ...others] = servers as [string, ...string[]];
  const base = `C:\\mailflow-guard\\${t.certificateName}`;
  const out = [
    "```powershell",
    `# On ${first}: the request (the private key stays on ${first}; exportable so the other servers get the same certificate)`,
    `New-ExchangeCertificate -Server ${ps(first)} -GenerateRequest -RequestFile ${ps(`${base}.req`)} -SubjectName ${ps(t.certificate.subject)} -DomainName ${ps(t.certificateName)} -FriendlyName ${ps(`mailflow-guard ${t.tenant}`)} -KeySize 2048 -PrivateKeyExportable $true`,
    `# Send ${t.certificateName}.req to the CA; save its answer as ${base}.cer, then complete the request:`,
    `Import-ExchangeCertificate -Server ${ps(first)} -FileData ([System.IO.File]::ReadAllBytes(${ps(`${base}.cer`)}))`,
    "$thumbprint = '<the Thumbprint Import-ExchangeCertificate printed>'",
    `Enable-ExchangeCertificate -Server ${ps(first)} -Thumbprint $thumbprint -Services SMTP`,
  ];
  if (others.length > 0) {
    out.push(
      "# The same certificate with its key on every other source transport server:",
      "$password = (Get-Credential -UserName pfx -Message 'PFX password').Password",
      `Export-ExchangeCertificate -Server ${ps(first)} -Thumbprint $thumbprint -FileName ${ps(`\\\\${first}\\C$\\mailflow-guard\\${t.certificateName}.pfx`)} -Password $password`,
    );
    for (const server of others) {
      out.push(
        `Import-ExchangeCertificate -Server ${ps(server)} -FileData ([System.IO.File]::ReadAllBytes(${ps(`\\\\${first}\\C$\\mailflow-guard\\${t.certificateName}.pfx`)})) -Password $password`,
        `Enable-ExchangeCertificate -Server ${ps(server)} -Thumbprint $thumbprint -Services SMTP`,
      );
    }
  }
  out.push("```");
  return out;
}

function sendConnectorCommand(t: TenantPlan, servers: readonly string[]): string {
  const settings = `-AddressSpaces ${psList(t.target.addressSpaces)} -SmartHosts ${psList(t.target.smartHosts)} -DNSRoutingEnabled $false -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain ${ps(t.target.tlsDomain)} -TlsCertificateName "<I>$($c.Issuer)<S>$($c.Subject)" -CloudServicesMailEnabled $true -SourceTransportServers ${psList(servers)} -Fqdn ${ps(t.certificateName)}`;
  const select =
    t.certificate.kind === "keep"
      ? `$c = Get-ExchangeCertificate -Server ${ps(servers[0] as string)} -Thumbprint ${ps(t.certificate.thumbprint as string)}`
      : `$c = Get-ExchangeCertificate -Server ${ps(servers[0] as string)} -DomainName ${ps(t.certificateName)} | Sort-Object NotAfter | Select-Object -Last 1`;
  return t.send.adopt
    ? `${select}; Set-SendConnector ${ps(t.send.name)} ${settings}`
    : `${select}; New-SendConnector -Name ${ps(t.send.name)} -Usage Custom ${settings}`;
}

/** runbook.md: for the admins who carry out the cutover. */
export function renderRunbook(
  plan: MigrationPlan,
  meta: {
    header: string /** What was read (files, live tenants). */;
    read: readonly string[] /** The audit arguments that read the same. */;
    inputs: readonly string[];
  },
): string {
  const out: string[] = [];
  const servers = plan.sourceTransportServers;
  const stackFile = `Pulumi.${plan.stack}.yaml`;
  out.push(`# Migration runbook: a certificate and a Send Connector of its own per tenant`, "", `${meta.header}.`, "");
  out.push(`Read: ${meta.read.join(", ")}. Tenants on an on-premises path: ${plan.tenants.map((t) => t.tenant).join(", ")}.`);
  if (plan.untouched.length > 0) out.push(`Left alone (no on-premises path): ${plan.untouched.join(", ")}.`);
  out.push("");
  if (plan.changes === 0) {
    out.push(
      "**Nothing to change.** Every tenant already has its own certificate, its own Send Connector and a certificate-based OnPremises connector.",
      `\`${stackFile}\` adopts the existing connectors by name, so Pulumi manages them from now on; its \`pulumi up\` changes no setting that mail flow depends on.`,
      "",
    );
  } else {
    out.push(`**${plan.changes} changes** (certificates to request, connectors to create or change, connectors to remove).`, "");
  }

  out.push("## Findings today", "");
  if (plan.findings.length === 0) out.push("None.");
  for (const f of plan.findings) out.push(`- [${f.severity}] \`${f.ruleId}\`${f.tenant ? ` (${f.tenant})` : ""}: ${f.message}`);
  out.push("");

  out.push("## Target", "");
  out.push("| tenant | certificate name | certificate | inbound connector | Send Connector |", "| --- | --- | --- | --- | --- |");
  for (const t of plan.tenants) {
    const cert =
      t.certificate.kind === "keep"
        ? `keep ${t.certificate.thumbprint} → \`${t.certificate.file}\``
        : `request → \`${t.certificate.file}\``;
    const connector = (c: TenantPlan["inbound"] | TenantPlan["send"]) =>
      `${c.adopt ? "adopt" : "new"} "${c.name}"${c.adopt ? (c.changes.length > 0 ? `: ${c.changes.join("; ")}` : ": unchanged") : ""}`;
    out.push(`| ${t.tenant} | \`${t.certificateName}\` | ${cert} | ${connector(t.inbound)} | ${connector(t.send)} |`);
  }
  out.push("", "Why these names:", "");
  for (const t of plan.tenants) out.push(`- ${t.tenant}: ${t.reason}.`);
  out.push("");

  out.push("## Attribution, today and after the plan", "");
  out.push(
    "Exchange Online credits mail that arrives through an OnPremises connector to a tenant by, in order: the certificate domain, the P1 MAIL FROM domain, the P1 RCPT TO domain.",
    "",
  );
  for (const path of plan.attribution) {
    out.push(
      `### ${path.sendConnector ? `Send Connector "${path.sendConnector}"${path.sourceTransportServers.length > 0 ? ` (${path.sourceTransportServers.join(", ")})` : ""}` : `No Send Connector to ${path.routesTo.join(", ")}`} → ${path.routesTo.join(", ")}`,
      "",
      `Defects: ${path.defects.join(", ") || "none"}.`,
      "",
      "Today:",
      "",
      ...path.today.map((line) => `    ${line}`),
      "",
      `Could be credited today: **${path.creditedToday.join(", ")}**.`,
      "",
      "After the plan:",
      "",
      ...path.after.map((line) => `- ${line}`),
      "",
    );
  }

  const requests = plan.tenants.filter((t) => t.certificate.kind === "request");
  out.push("## Certificate requests", "");
  if (requests.length === 0) out.push("None: every tenant keeps its dedicated certificate.", "");
  for (const t of requests) {
    out.push(
      `### ${t.tenant}: \`${t.certificateName}\``,
      "",
      `Ask the CA for: subject \`${t.certificate.subject}\`, subject alternative name DNS \`${t.certificateName}\` and no other name (a name of another tenant on this certificate is the defect being fixed), RSA 2048 or larger, enhanced key usage Server Authentication and Client Authentication, from a CA that Exchange Online trusts. Save the issued certificate (public part, PEM) as \`${t.certificate.file}\` in the project folder.`,
      "",
      ...certificateCommands(t, servers),
      "",
    );
  }
  for (const t of plan.tenants.filter((x) => x.certificate.kind === "keep")) {
    out.push(
      `### ${t.tenant}: keep certificate ${t.certificate.thumbprint}`,
      "",
      `Save its public part as \`${t.certificate.file}\`:`,
      "",
      "```powershell",
      `$c = Get-ExchangeCertificate -Server ${ps(servers[0] as string)} -Thumbprint ${ps(t.certificate.thumbprint as string)}`,
      `Set-Content -Path ${ps(t.certificate.file)} -Value ("-----BEGIN CERTIFICATE-----\`n" + [Convert]::ToBase64String($c.RawData, 'InsertLineBreaks') + "\`n-----END CERTIFICATE-----")`,
      "```",
      "",
    );
  }

  out.push("## Cutover, in the order that keeps mail flowing", "");
  let n = 0;
  /** A rollback is a sentence, or commands (shown as a block to copy). */
  const step = (title: string, commands: string[], expected: string, rollback: string | string[]) => {
    n += 1;
    out.push(`### ${n}. ${title}`, "", "```powershell", ...commands, "```", "", `Expected: ${expected}`, "");
    if (typeof rollback === "string") out.push(`Rollback: ${rollback}`, "");
    else out.push("Rollback:", "", "```powershell", ...rollback, "```", "");
  };
  /** Exchange Online cmdlets run in the tenant's own session. */
  const inTenant = (tenant: string, command: string) => `Connect-ExchangeOnline -Organization ${ps(tenant)}; ${command}`;
  if (requests.length > 0) {
    step(
      "Certificates installed and enabled for SMTP",
      requests.map((t) => `# ${t.tenant}: see "Certificate requests" above (${t.certificateName})`),
      `Get-ExchangeCertificate -DomainName <name> on ${servers.join(", ")} lists the certificate with Services including SMTP.`,
      "Remove-ExchangeCertificate -Server <server> -Thumbprint <thumbprint> (no connector uses it yet).",
    );
  }
  step(
    "Gate the target before touching anything",
    [
      `# in the root project folder, with ${stackFile} and the files under certs/ copied in, and the Exchange Online token in`,
      "# MAILFLOW_GUARD_EXO_TOKEN (or: pulumi config set --secret mailflow-guard:exchangeOnlineToken)",
      `pulumi stack init ${plan.stack}`,
      "pulumi preview --policy-pack policy",
    ],
    `no mandatory policy violation. Connectors listed under "adopt" show as create with the note "adopts the … by name if it exists" (Pulumi cannot import dynamic-provider resources; the create updates the existing connector in place).`,
    "nothing was changed.",
  );
  const ordered = [...plan.tenants].sort((a, b) => Number(a.send.adopt) - Number(b.send.adopt));
  const sendSteps = ordered.filter((t) => t.send.changes.length > 0);
  if (sendSteps.length > 0) {
    step(
      "Each tenant's own Send Connector presenting its certificate (new ones first, then narrow the shared one)",
      sendSteps.map((t) => sendConnectorCommand(t, servers)),
      "Get-SendConnector shows one connector per tenant, each with that tenant's smart host and address space only and its own TlsCertificateName; the queue viewer (Get-Queue) shows mail to every tenant leaving.",
      sendSteps.map((t) =>
        t.send.adopt && t.send.current
          ? `Set-SendConnector ${ps(t.send.name)} -AddressSpaces ${psList(t.send.current.addressSpaces)} -SmartHosts ${psList(t.send.current.smartHosts) || "$null"} -TlsCertificateName ${t.send.current.tlsCertificateName ? ps(t.send.current.tlsCertificateName) : "$null"}`
          : `Remove-SendConnector ${ps(t.send.name)}`,
      ),
    );
  }
  const nameSteps = plan.tenants.filter((t) => t.inbound.current?.tlsSenderCertificateName !== t.certificateName);
  if (nameSteps.length > 0) {
    step(
      "The inbound connector's TlsSenderCertificateName set while its sender IPs are still there (Exchange Online PowerShell, per tenant)",
      nameSteps.flatMap((t) => [
        // Without sender IPs nothing carries this tenant's mail between its step 3 and this one.
        ...(t.inbound.current && t.inbound.current.senderIPAddresses.length === 0
          ? [
              `# ${t.tenant}: "${t.inbound.name}" has no sender IPs to accept mail meanwhile; run this right after its Send Connector change in step 3`,
            ]
          : []),
        inTenant(
          t.tenant,
          t.inbound.adopt
            ? `Set-InboundConnector ${ps(t.inbound.name)} -TlsSenderCertificateName ${ps(t.certificateName)} -RequireTls $true`
            : `New-InboundConnector -Name ${ps(t.inbound.name)} -ConnectorType OnPremises -SenderDomains '*' -TlsSenderCertificateName ${ps(t.certificateName)} -RequireTls $true -CloudServicesMailEnabled $true`,
        ),
      ]),
      "Get-InboundConnector shows the certificate name and, where there were any, the sender IPs: mail is accepted whether or not it already arrives with the certificate.",
      nameSteps.map((t) =>
        inTenant(
          t.tenant,
          t.inbound.adopt
            ? `Set-InboundConnector ${ps(t.inbound.name)} -TlsSenderCertificateName ${t.inbound.current?.tlsSenderCertificateName ? ps(t.inbound.current.tlsSenderCertificateName) : "$null"}`
            : `Remove-InboundConnector ${ps(t.inbound.name)}`,
        ),
      ),
    );
  }
  step(
    "Check that mail arrives attributed to the right tenant",
    plan.tenants.map(
      (t) =>
        `# ${t.tenant}: send a test message from on-premises to a mailbox of ${t.tenant}; in that tenant: Get-MessageTraceV2 -RecipientAddress <mailbox> -StartDate (Get-Date).AddHours(-1)`,
    ),
    "each message is Delivered in its own tenant, and its header X-MS-Exchange-CrossTenant-Id carries that tenant's ID.",
    "undo the previous step for the tenant whose mail is attributed elsewhere; its sender IPs still carry the mail.",
  );
  const ipSteps = plan.tenants.filter((t) => (t.inbound.current?.senderIPAddresses.length ?? 0) > 0);
  step(
    ipSteps.length > 0
      ? "Apply the target: remove the sender IPs, converge every setting, adopt the connectors"
      : "Apply the target and adopt the connectors",
    ["pulumi up --policy-pack policy"],
    `the gate passes; every tenant has exactly one Send Connector and one certificate-based OnPremises inbound connector, marked "Managed by mailflow-guard" in its Comment.`,
    ipSteps.length > 0
      ? ipSteps.map((t) =>
          inTenant(
            t.tenant,
            `Set-InboundConnector ${ps(t.inbound.name)} -SenderIPAddresses ${psList(t.inbound.current?.senderIPAddresses ?? [])}`,
          ),
        )
      : 'Set-* with the values under "Target" (before →).',
  );
  const leftovers = [
    ...plan.removeSendConnectors.map((c) => `Remove-SendConnector ${ps(c.name)}`),
    ...plan.tenants.flatMap((t) => t.removeInbound.map((c) => inTenant(t.tenant, `Remove-InboundConnector ${ps(c.name)}`))),
  ];
  if (leftovers.length > 0) {
    step(
      "Remove the connectors no tenant keeps",
      leftovers,
      "Get-SendConnector and Get-InboundConnector list only the connectors in the target.",
      "New-SendConnector / New-InboundConnector with the settings of the saved exports.",
    );
  }
  step("Confirm", [`mailflow-guard audit ${meta.inputs.join(" ")}`], "exit code 0: no mandatory finding.", "none needed.");
  return `${out.join("\n").trimEnd()}\n`;
}
