import { DEFAULT_CLOUD } from "../../policy/src/engine/clouds";
import { normalizeAddressSpace, tenantSmartHost } from "../../policy/src/engine";
import { mailCloudOf, routingDomainFor } from "../../policy/src/engine/clouds";
import type { MigrationPlan, TenantPlan } from "./planner";

/** The three files `mailflow-guard plan` writes, rendered from one MigrationPlan. */

/** YAML scalars as JSON strings: valid YAML, and no value can break out of its line. */
export function y(value: string): string {
  return JSON.stringify(value);
}

export function yList(values: readonly string[]): string {
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

/** A connector of the plan as plan.json shows it: its target name, and the current one when it is renamed. */
function connectorJson(c: TenantPlan["inbound"] | TenantPlan["send"]) {
  return {
    name: c.name,
    exists: c.adopt,
    ...(c.current && c.current.name !== c.name ? { currentName: c.current.name } : {}),
    ...(c.nameReason ? { nameReason: c.nameReason } : {}),
    changes: c.changes,
  };
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
      assumptions: plan.assumptions,
      tenants: plan.tenants.map((t) => ({
        tenant: t.tenant,
        acceptedDomains: t.acceptedDomains,
        certificateName: t.certificateName,
        keptName: t.keptName,
        reason: t.reason,
        certificate: t.certificate,
        inboundConnector: connectorJson(t.inbound),
        sendConnector: { ...connectorJson(t.send), target: t.target },
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
  return values.length === 0 ? "$null" : values.map(ps).join(",");
}

/** The shells a runbook block runs in; the first line of every block names it. */
export const EMS = "# Exchange Management Shell (on-premises Exchange), as an Exchange administrator";
export const EXO = "# PowerShell 7 with the ExchangeOnlineManagement module (3.x)";
export const SH = "# a POSIX shell with pulumi and mailflow-guard on PATH";

/** The line of the certificate block where the admin waits for the CA. */
export const CA_ANSWER = "# send each .req file to the CA and save the certificate it issues beside it as <name>.cer; then:";

/** The variables the Exchange Online sessions sign in with (app-only, with a certificate). */
const APP_ID = "$env:MAILFLOW_GUARD_APP_ID";
const APP_THUMBPRINT = "$env:MAILFLOW_GUARD_APP_CERTIFICATE_THUMBPRINT";

/** One Exchange Online session for one tenant: signed in, the commands, signed out. */
function exoSession(tenant: string, commands: readonly string[]): string[] {
  return [
    `Connect-ExchangeOnline -Organization ${ps(tenant)} -AppId ${APP_ID} -CertificateThumbprint ${APP_THUMBPRINT} -ShowBanner:$false`,
    ...commands,
    "Disconnect-ExchangeOnline -Confirm:$false",
  ];
}

function block(shell: string, commands: readonly string[]): string[] {
  return [shell === SH ? "```sh" : "```powershell", shell, ...commands, "```"];
}

/** The folder on the first server of a tenant where requests, issued certificates and keys are kept. */
function share(server: string): string {
  return `\\\\${server}\\C$\\mailflow-guard`;
}

/**
 * The certificate requests of every tenant that gets a new certificate, in one Exchange Management
 * Shell session: the requests on each tenant's first server, then (once the CA has answered) each
 * certificate imported, enabled for SMTP, copied with its key to the other servers, and its public
 * part saved for the stack. Each certificate's thumbprint is taken from Import-ExchangeCertificate.
 */
function certificateCommands(requests: readonly TenantPlan[]): string[] {
  const folders = [...new Set(requests.map((t) => share(t.target.sourceTransportServers[0] as string)))];
  const out = folders.map((folder) => `New-Item -ItemType Directory -Force -Path ${ps(folder)} | Out-Null`);
  for (const t of requests) {
    const first = t.target.sourceTransportServers[0] as string;
    out.push(
      `New-ExchangeCertificate -Server ${ps(first)} -GenerateRequest -RequestFile ${ps(`${share(first)}\\${t.certificateName}.req`)} -SubjectName ${ps(t.certificate.subject)} -DomainName ${ps(t.certificateName)} -FriendlyName ${ps(`mailflow-guard ${t.tenant}`)} -KeySize 2048 -PrivateKeyExportable $true`,
    );
  }
  out.push(CA_ANSWER);
  if (requests.some((t) => t.target.sourceTransportServers.length > 1))
    out.push("$password = Read-Host -AsSecureString -Prompt 'Password to protect the exported keys (PFX)'");
  for (const t of requests) {
    const [first, ...others] = t.target.sourceTransportServers as [string, ...string[]];
    const base = `${share(first)}\\${t.certificateName}`;
    out.push(
      `$cert = Import-ExchangeCertificate -Server ${ps(first)} -FileData ([System.IO.File]::ReadAllBytes(${ps(`${base}.cer`)}))`,
      `Enable-ExchangeCertificate -Server ${ps(first)} -Thumbprint $cert.Thumbprint -Services SMTP`,
    );
    if (others.length > 0)
      out.push(
        `Export-ExchangeCertificate -Server ${ps(first)} -Thumbprint $cert.Thumbprint -FileName ${ps(`${base}.pfx`)} -BinaryEncoded -Password $password`,
      );
    for (const server of others) {
      out.push(
        `Import-ExchangeCertificate -Server ${ps(server)} -FileData ([System.IO.File]::ReadAllBytes(${ps(`${base}.pfx`)})) -Password $password | Out-Null`,
        `Enable-ExchangeCertificate -Server ${ps(server)} -Thumbprint $cert.Thumbprint -Services SMTP`,
      );
    }
    out.push(...publicPart(t, first, "$cert.Thumbprint"));
  }
  return out;
}

function pemName(t: TenantPlan): string {
  return t.certificate.file.split("/").pop() as string;
}

/** Saves the certificate's public part (PEM) where the stack reads it from, after copying. */
function publicPart(t: TenantPlan, server: string, thumbprint: string): string[] {
  return [
    `$public = Get-ExchangeCertificate -Server ${ps(server)} -Thumbprint ${thumbprint}`,
    `Set-Content -Path ${ps(`${share(server)}\\${pemName(t)}`)} -Value ("-----BEGIN CERTIFICATE-----\`n" + [Convert]::ToBase64String($public.RawData, 'InsertLineBreaks') + "\`n-----END CERTIFICATE-----")`,
  ];
}

/** The Send Connector settings of the target, as New-/Set-SendConnector parameters. */
function sendSettings(t: TenantPlan): string {
  const target = t.target;
  return [
    `-AddressSpaces ${psList(target.addressSpaces)}`,
    target.dnsRoutingEnabled ? "-DNSRoutingEnabled $true" : `-SmartHosts ${psList(target.smartHosts)} -DNSRoutingEnabled $false`,
    `-RequireTLS $true -TlsAuthLevel ${target.tlsAuthLevel}`,
    ...(target.tlsDomain !== undefined && target.tlsAuthLevel === "DomainValidation" ? [`-TlsDomain ${ps(target.tlsDomain)}`] : []),
    '-TlsCertificateName "<I>$($cert.Issuer)<S>$($cert.Subject)"',
    "-CloudServicesMailEnabled $true",
    `-SourceTransportServers ${psList(target.sourceTransportServers)}`,
  ].join(" ");
}

function sendConnectorCommands(t: TenantPlan): string[] {
  const server = t.target.sourceTransportServers[0] as string;
  const select =
    t.certificate.kind === "keep"
      ? `$cert = Get-ExchangeCertificate -Server ${ps(server)} -Thumbprint ${ps(t.certificate.thumbprint as string)}`
      : `$cert = Get-ExchangeCertificate -Server ${ps(server)} -DomainName ${ps(t.certificateName)} | Sort-Object NotAfter | Select-Object -Last 1`;
  const current = t.send.current;
  const rename = current && current.name !== t.send.name ? ` -Name ${ps(t.send.name)}` : "";
  return [
    `# ${t.tenant}`,
    select,
    current
      ? `Set-SendConnector -Identity ${ps(current.name)}${rename} ${sendSettings(t)}`
      : `New-SendConnector -Name ${ps(t.send.name)} -Usage Custom ${sendSettings(t)} -Fqdn ${ps(t.certificateName)}`,
  ];
}

/**
 * The Pulumi part of the runbook (gate, then apply), in one place: the root project with the
 * generated stack config. How the Exchange Online token reaches the program is said here.
 */
export function pulumiSteps(plan: MigrationPlan): { token: string[]; gate: string[]; apply: string[] } {
  const stackFile = `Pulumi.${plan.stack}.yaml`;
  const resource = plan.exchangeOnlineEndpoint;
  return {
    token: [
      `Copy ${stackFile} into the root project folder, and each certificate's public part saved above to the file the config names: ${plan.tenants.map((t) => `${share(t.target.sourceTransportServers[0] as string)}\\${pemName(t)} to ${t.certificate.file}`).join("; ")}. Run the pulumi commands in that folder.`,
      `The program reads an access token for the Exchange Online admin API from MAILFLOW_GUARD_EXO_TOKEN (or the secret config value mailflow-guard:exchangeOnlineToken): one app-only token of the same app registration, e.g. \`az login --service-principal --username "$MAILFLOW_GUARD_APP_ID" --certificate app.pem --tenant <tenant>\` then \`az account get-access-token --resource ${resource} --query accessToken --output tsv\`. A token is issued for one tenant: the root project passes the same token to every tenant, so against Exchange Online apply one tenant per stack or give each tenant its own credentials. (The local stand-in accepts any token.)`,
    ],
    gate: [`pulumi stack init ${plan.stack}`, "pulumi preview --policy-pack policy"],
    apply: ["pulumi up --policy-pack policy"],
  };
}

/** Where the runbook's re-export goes: a new folder beside the first, never the folder read before the change. */
export const AFTER_FOLDER = "mailflow-guard-after";

function reexportCommands(plan: MigrationPlan): { onPremises: string[]; tenants: string[] } {
  const servers = plan.sourceTransportServers;
  const onprem = `${AFTER_FOLDER}\\_onprem`;
  return {
    onPremises: [
      `New-Item -ItemType Directory -Force -Path ${ps(onprem)} | Out-Null`,
      `Get-SendConnector | ConvertTo-Json -Depth 5 | Set-Content -Path ${ps(`${onprem}\\SendConnector.json`)}`,
      `@(${servers.map((server) => `Get-ExchangeCertificate -Server ${ps(server)}`).join("; ")}) | ConvertTo-Json -Depth 5 | Set-Content -Path ${ps(`${onprem}\\ExchangeCertificate.json`)}`,
    ],
    tenants: plan.tenants.flatMap((t) => {
      const folder = `${AFTER_FOLDER}\\${t.tenant}`;
      return exoSession(t.tenant, [
        `New-Item -ItemType Directory -Force -Path ${ps(folder)} | Out-Null`,
        `Get-AcceptedDomain | ConvertTo-Json -Depth 5 | Set-Content -Path ${ps(`${folder}\\AcceptedDomain.json`)}`,
        `Get-InboundConnector | ConvertTo-Json -Depth 5 | Set-Content -Path ${ps(`${folder}\\InboundConnector.json`)}`,
      ]);
    }),
  };
}

/**
 * Settings the plan keeps that the root project's TenantConnectorPair writes otherwise (it always
 * writes the initial-domain smart host, the routing domain and DomainValidation): its first
 * `pulumi up` would change them, so adopting into that project is not "no change".
 */
function componentDifferences(t: TenantPlan): string[] {
  const cloud = mailCloudOf(t.tenant);
  const differences: string[] = [];
  const smartHost = tenantSmartHost(t.tenant, cloud);
  if (t.target.dnsRoutingEnabled) differences.push(`DNS routing (the component sets SmartHosts ${smartHost})`);
  else if (t.target.smartHosts.join() !== smartHost)
    differences.push(`SmartHosts ${t.target.smartHosts.join(", ")} (the component sets ${smartHost})`);
  const routing = routingDomainFor(t.tenant, cloud) ?? t.tenant;
  if (t.target.addressSpaces.map((a) => normalizeAddressSpace(a)).join() !== routing)
    differences.push(`AddressSpaces ${t.target.addressSpaces.join(", ")} (the component sets ${routing})`);
  if (t.target.tlsAuthLevel !== "DomainValidation")
    differences.push(`TlsAuthLevel ${t.target.tlsAuthLevel} (the component sets DomainValidation)`);
  return differences;
}

/** A healthy organization: nothing to do; taking it into a stack is optional, and what that would change is said. */
function adoptionOnly(plan: MigrationPlan, pulumi: ReturnType<typeof pulumiSteps>): string[] {
  const differences = plan.tenants.flatMap((t) =>
    componentDifferences(t).map((d) => `- ${t.tenant}, Send Connector "${t.send.name}": ${d}.`),
  );
  return [
    "## Optional: manage the connectors with Pulumi",
    "",
    `Nothing needs to be done for mail flow. To manage these connectors from now on, the stack config adopts them by name.${differences.length > 0 ? " The root project's components write their own defaults for some settings this organization has chosen differently (both are the tenant's own, the rules accept either); its first `pulumi up` would change:" : " Its first `pulumi up` changes no setting mail flow depends on."}`,
    ...(differences.length > 0 ? ["", ...differences] : []),
    "",
    ...pulumi.token,
    "",
    ...block(SH, [...pulumi.gate, ...pulumi.apply]),
  ];
}

/** runbook.md: for the admins who carry out the cutover. */
export function renderRunbook(
  plan: MigrationPlan,
  meta: {
    header: string;
    /** What was read (files, live tenants). */
    read: readonly string[];
  },
): string {
  const out: string[] = [];
  const stackFile = `Pulumi.${plan.stack}.yaml`;
  const pulumi = pulumiSteps(plan);
  out.push("# Migration runbook: a certificate and a Send Connector of its own per tenant", "", `${meta.header}.`, "");
  out.push(`Read: ${meta.read.join(", ")}. Tenants on an on-premises path: ${plan.tenants.map((t) => t.tenant).join(", ")}.`);
  if (plan.untouched.length > 0) out.push(`Left alone (no on-premises path): ${plan.untouched.join(", ")}.`);
  out.push("");
  if (plan.assumptions.length > 0) {
    out.push("**Assumed** (not in what was read):", "", ...plan.assumptions.map((a) => `- ${a}.`), "");
  }
  if (plan.changes === 0) {
    out.push(
      "**Nothing to change.** Every tenant already has its own certificate, its own Send Connector and a certificate-based OnPremises connector; the plan keeps every setting as it is.",
      "",
    );
  } else {
    out.push(
      `**${plan.changes} changes** (certificates to request, connectors to create or change, connectors to remove). Details per connector: plan.json.`,
      "",
    );
  }

  out.push("## Findings today", "");
  if (plan.findings.length === 0) out.push("None.");
  for (const f of plan.findings) out.push(`- [${f.severity}] \`${f.ruleId}\`${f.tenant ? ` (${f.tenant})` : ""}: ${f.message}`);
  out.push("");

  out.push("## Target", "");
  out.push("| tenant | certificate name | certificate | inbound connector | Send Connector |", "| --- | --- | --- | --- | --- |");
  for (const t of plan.tenants) {
    const cert = t.certificate.kind === "keep" ? `keep ${t.certificate.thumbprint}` : "request";
    const connector = (c: TenantPlan["inbound"] | TenantPlan["send"]) =>
      c.adopt
        ? `${c.current && c.current.name !== c.name ? `"${c.current.name}" → ` : ""}"${c.name}" (${c.changes.length > 0 ? `${c.changes.length} settings` : "unchanged"})`
        : `new "${c.name}"`;
    out.push(`| ${t.tenant} | \`${t.certificateName}\` | ${cert} | ${connector(t.inbound)} | ${connector(t.send)} |`);
  }
  out.push("");
  for (const t of plan.tenants) {
    out.push(`- ${t.tenant}: ${t.reason}.`);
    if (t.send.nameReason) out.push(`  Send Connector "${t.send.current?.name}" ${t.send.nameReason}.`);
    if (t.inbound.nameReason) out.push(`  Inbound connector "${t.inbound.current?.name}" ${t.inbound.nameReason}.`);
  }
  out.push("");

  out.push("## Attribution per on-premises path", "");
  out.push(
    'Exchange Online credits mail arriving through an OnPremises connector by the certificate domain, then the P1 MAIL FROM domain, then the P1 RCPT TO domain. Step by step: plan.json, "attribution".',
    "",
  );
  for (const path of plan.attribution) {
    const name = path.sendConnector ? `Send Connector "${path.sendConnector}"` : `no Send Connector to ${path.routesTo.join(", ")}`;
    const after = path.routesTo.map((tenant) => {
      const t = plan.tenants.find((x) => x.tenant === tenant);
      return t ? `${tenant} by \`${t.certificateName}\`` : tenant;
    });
    out.push(
      `- ${name}: today ${path.creditedToday.length > 1 ? `**${path.creditedToday.join(", ")}** could be credited` : `${path.creditedToday.join(", ")} is credited`}${path.defects.length > 0 ? ` (${path.defects.join(", ")})` : ""}; after: ${after.join("; ")}, each on its own path.`,
    );
  }
  out.push("");

  out.push("## Before you start", "");
  out.push(
    `- The Exchange Online sessions sign in app-only with a certificate: an app registration with the Exchange.ManageAsApp permission and an Exchange administrator role in each tenant, its certificate in Cert:\\CurrentUser\\My. Set \`${APP_ID}\` (its application ID) and \`${APP_THUMBPRINT}\` (its certificate's thumbprint) once; each tenant gets a session of its own. To sign in as an admin instead, replace \`-AppId … -CertificateThumbprint …\` with \`-UserPrincipalName <admin>@<tenant>\`.`,
    `- The Exchange Management Shell commands name each server they act on (-Server); files go to ${plan.tenants.length > 0 ? `\`${share(plan.sourceTransportServers[0] as string)}\`` : "the first server"} (created below).`,
    `- Until step "Apply" the stack manages nothing, so the rollbacks before it are cmdlets; after it, changes and rollbacks go through ${stackFile} and \`pulumi up\` (a connector changed by hand would be changed back).`,
    "- This runbook changes the connectors by hand in the cutover order, then lets the root project of a mailflow-guard checkout take them over. Without a checkout, or to let Pulumi make every connector change itself: `project/` beside this runbook is a Pulumi YAML project (`npm install`, then `pulumi preview --policy-pack …`) that imports the existing connectors with Pulumi's import and makes the whole change in one gated `pulumi up` (after step 1; see docs/provider.md in the package).",
    "",
  );

  if (plan.changes === 0) {
    out.push(...adoptionOnly(plan, pulumi));
    return `${out.join("\n").trimEnd()}\n`;
  }
  let n = 0;
  const step = (title: string, body: string[], expected: string, rollback: string | string[]) => {
    n += 1;
    out.push(`### ${n}. ${title}`, "", ...body, "", `Expected: ${expected}`, "");
    if (typeof rollback === "string") out.push(`Rollback: ${rollback}`, "");
    else out.push("Rollback:", "", ...rollback, "");
  };
  out.push("## Cutover, in the order that keeps mail flowing", "");

  const requests = plan.tenants.filter((t) => t.certificate.kind === "request");
  const kept = plan.tenants.filter((t) => t.certificate.kind === "keep");
  if (requests.length > 0 || kept.length > 0) {
    step(
      "Certificates installed on every sending server and enabled for SMTP",
      [
        ...(requests.length > 0
          ? [
              "Ask the CA for each: the subject and the one DNS name below and no other name (a name of another tenant on the certificate is the defect being fixed), RSA 2048 or larger, enhanced key usage Server Authentication and Client Authentication, from a CA that Exchange Online trusts.",
              "",
            ]
          : []),
        ...requests.map((t) => `- ${t.tenant}: subject \`${t.certificate.subject}\`, DNS name \`${t.certificateName}\``),
        ...(requests.length > 0 ? ["", ...block(EMS, certificateCommands(requests)), ""] : []),
        ...kept.flatMap((t) => [
          ...block(EMS, [
            `# ${t.tenant}: keeps certificate ${t.certificate.thumbprint}; its public part for the stack`,
            ...publicPart(t, t.target.sourceTransportServers[0] as string, ps(t.certificate.thumbprint as string)),
          ]),
          "",
        ]),
      ],
      "Get-ExchangeCertificate -Server <server> -DomainName <certificate name> on each server lists the certificate with Services including SMTP.",
      requests.length > 0
        ? block(
            EMS,
            requests.flatMap((t) =>
              t.target.sourceTransportServers.map(
                (server) =>
                  `Get-ExchangeCertificate -Server ${ps(server)} -DomainName ${ps(t.certificateName)} | ForEach-Object { Remove-ExchangeCertificate -Server ${ps(server)} -Thumbprint $_.Thumbprint -Confirm:$false }`,
              ),
            ),
          )
        : "nothing was changed.",
    );
  }
  step(
    "Gate the target before touching a connector",
    [...pulumi.token, "", ...block(SH, pulumi.gate)],
    "no mandatory policy violation; each connector appears once, and the ones that exist are adopted by name.",
    "nothing was changed.",
  );
  const sendSteps = [...plan.tenants].sort((a, b) => Number(a.send.adopt) - Number(b.send.adopt)).filter((t) => t.send.changes.length > 0);
  if (sendSteps.length > 0) {
    step(
      "Each tenant's own Send Connector presenting its certificate (new ones first, then the shared one narrowed)",
      block(
        EMS,
        sendSteps.flatMap((t) => sendConnectorCommands(t)),
      ),
      "Get-SendConnector shows one connector per tenant with that tenant's address space and its own TlsCertificateName; Get-Queue shows mail to every tenant leaving.",
      block(
        EMS,
        sendSteps.map((t) => {
          const c = t.send.current;
          if (!c) return `Remove-SendConnector -Identity ${ps(t.send.name)} -Confirm:$false`;
          const name = c.name !== t.send.name ? ` -Name ${ps(c.name)}` : "";
          return `Set-SendConnector -Identity ${ps(t.send.name)}${name} -AddressSpaces ${psList(c.addressSpaces)} -SmartHosts ${psList(c.smartHosts)} -DNSRoutingEnabled $${c.dnsRoutingEnabled} -TlsCertificateName ${c.tlsCertificateName ? ps(c.tlsCertificateName) : "$null"} -SourceTransportServers ${psList(c.sourceTransportServers)}`;
        }),
      ),
    );
  }
  const nameSteps = plan.tenants.filter((t) => t.inbound.current?.tlsSenderCertificateName !== t.certificateName || !t.inbound.adopt);
  if (nameSteps.length > 0) {
    step(
      "Each inbound connector names its tenant's certificate, while its sender IPs still accept the mail",
      nameSteps.flatMap((t) => {
        const c = t.inbound.current;
        const rename = c && c.name !== t.inbound.name ? ` -Name ${ps(t.inbound.name)}` : "";
        const command = c
          ? `Set-InboundConnector -Identity ${ps(c.name)}${rename} -TlsSenderCertificateName ${ps(t.certificateName)} -RequireTls $true`
          : `New-InboundConnector -Name ${ps(t.inbound.name)} -ConnectorType OnPremises -SenderDomains '*' -TlsSenderCertificateName ${ps(t.certificateName)} -RequireTls $true -CloudServicesMailEnabled $true`;
        return [
          ...(c && c.senderIPAddresses.length === 0
            ? [
                `${t.tenant}: "${c.name}" has no sender IPs to accept mail meanwhile, so run this right after its Send Connector change.`,
                "",
              ]
            : []),
          ...block(EXO, exoSession(t.tenant, [command])),
          "",
        ];
      }),
      "Get-InboundConnector shows the certificate name and, where there were any, the sender IPs: mail is accepted whether or not it already arrives with the certificate.",
      block(
        EXO,
        nameSteps.flatMap((t) => {
          const c = t.inbound.current;
          const name = c && c.name !== t.inbound.name ? ` -Name ${ps(c.name)}` : "";
          return exoSession(t.tenant, [
            c
              ? `Set-InboundConnector -Identity ${ps(t.inbound.name)}${name} -TlsSenderCertificateName ${c.tlsSenderCertificateName ? ps(c.tlsSenderCertificateName) : "$null"}`
              : `Remove-InboundConnector -Identity ${ps(t.inbound.name)} -Confirm:$false`,
          ]);
        }),
      ),
    );
  }
  step(
    "Check that mail arrives attributed to the right tenant",
    [
      "Each tenant's ID, from its own session:",
      "",
      ...block(
        EXO,
        plan.tenants.flatMap((t) => exoSession(t.tenant, [`'${t.tenant}: ' + (Get-OrganizationConfig).ExternalDirectoryOrganizationId`])),
      ),
      "",
      "Then, per tenant, send a message from an on-premises mailbox to a mailbox of that tenant, open it there and read its header X-MS-Exchange-CrossTenant-Id (Outlook: File > Properties > Internet headers; Outlook on the web: … > View > View message details). (Get-ConnectionInformation).TenantID in the session shows the same ID.",
    ],
    "every message's X-MS-Exchange-CrossTenant-Id is the ID of the tenant it was sent to.",
    "undo the previous step for the tenant whose mail is credited elsewhere (its rollback above); its sender IPs still carry the mail.",
  );
  const ipSteps = plan.tenants.filter((t) => (t.inbound.current?.senderIPAddresses.length ?? 0) > 0);
  step(
    ipSteps.length > 0 ? "Apply: the stack removes the sender IPs and adopts the connectors" : "Apply: the stack adopts the connectors",
    block(SH, pulumi.apply),
    `the gate passes; each tenant has one Send Connector and one certificate-based OnPremises inbound connector, marked "Managed by mailflow-guard" in its Comment.`,
    ipSteps.length > 0
      ? `through the stack: in ${stackFile}, give the tenant back its sender IPs (${ipSteps.map((t) => `${t.tenant}: senderIPAddresses: [${(t.inbound.current?.senderIPAddresses ?? []).map((ip) => JSON.stringify(ip)).join(", ")}]`).join("; ")}) and run \`pulumi up --policy-pack policy\` again.`
      : `through the stack: change ${stackFile} and run \`pulumi up --policy-pack policy\` again (a connector changed by hand is changed back by the next up).`,
  );
  const leftovers = [
    ...(plan.removeSendConnectors.length > 0
      ? block(
          EMS,
          plan.removeSendConnectors.map((c) => `Remove-SendConnector -Identity ${ps(c.name)} -Confirm:$false`),
        )
      : []),
    ...plan.tenants
      .filter((t) => t.removeInbound.length > 0)
      .flatMap((t) =>
        block(
          EXO,
          exoSession(
            t.tenant,
            t.removeInbound.map((c) => `Remove-InboundConnector -Identity ${ps(c.name)} -Confirm:$false`),
          ),
        ),
      ),
  ];
  if (leftovers.length > 0) {
    step(
      "Remove the connectors no tenant keeps (not in the stack)",
      leftovers,
      "Get-SendConnector and Get-InboundConnector list only the connectors in the target.",
      "New-SendConnector / New-InboundConnector with the settings of the saved exports.",
    );
  }
  const reexport = reexportCommands(plan);
  step(
    `Export again, into a new folder (${AFTER_FOLDER}), and audit it`,
    [
      `Run both shells and the audit in the same working folder (or copy ${AFTER_FOLDER}\\_onprem next to the tenant folders there):`,
      "",
      ...block(EMS, reexport.onPremises),
      "",
      ...block(EXO, reexport.tenants),
      "",
      ...block(SH, [`mailflow-guard audit ${AFTER_FOLDER}`]),
    ],
    "exit code 0: no mandatory finding. (What was read before the change still shows the old state.)",
    "none needed.",
  );
  return `${out.join("\n").trimEnd()}\n`;
}
