/** Help texts; each subcommand's --help prints its own. */
import { DEFAULT_CONCURRENCY } from "./live";

export const MAIN_USAGE = `Usage: mailflow-guard <command> [options]

Commands:
  audit      Check Exchange mail-flow connectors (exports, stack exports, live tenants) against the rules
  inventory  Build the org-wide certificate/IP/send-connector assignment table as policy-pack config
  plan       Turn an audited organization into a gated Pulumi stack config, certificate requests and a cutover runbook

Run "mailflow-guard <command> --help" (or "mailflow-guard help <command>") for the options of a command.`;

const INPUTS = `Inputs (any number, mixed):
  <dir>                      Export folder: one sub-folder per tenant named after its initial domain
                             (<dir>/contoso.onmicrosoft.com/) with its Get-AcceptedDomain and
                             Get-InboundConnector output; Get-SendConnector and Get-ExchangeCertificate
                             output from on-premises in a shared <dir>/_onprem/ folder. Export-Clixml or
                             ConvertTo-Json, any file name: files are recognized by content, and every
                             file not read is named (exit 2). ScubaGear's ProviderSettingsExport.json
                             counts as a tenant folder. See docs/exports.md.
  <file.json>                A "pulumi stack export" file, or one ScubaGear ProviderSettingsExport.json.
  --live <tenant>            Read a tenant from Exchange Online (repeatable), and/or
  --live-tenants <file>      the tenants listed in a file: one initial domain or tenant ID per line, # comments
                             (a repeated tenant is read once and named; a malformed line is named, exit 2);
  --concurrency <n>          tenants read at once (default ${DEFAULT_CONCURRENCY}, measured: docs/live-audit.md; 1 = one by one);
  --retry-budget <n>         retries (429, 5xx, network) the whole run may make (default: one per tenant, at
                             least 100); a 429's Retry-After pauses every tenant's reads. A tenant not read
                             is named under "Not read" with the reason (exit 2). With
  --cloud <name>             the tenants' cloud: O365Default (worldwide, GCC; default), O365USGovGCCHigh,
                             O365USGovDoD or O365China; picks the admin endpoint and token authority
  --endpoint <url>           the admin API host (default: the cloud's, https://outlook.office365.com) and either
  --token-env <VAR>          an access token in environment variable VAR, or
  --client-id <id> --certificate-file <pem> --private-key-file <pem>
                             app-only sign-in with a certificate (Exchange.ManageAsApp).
  --config <file>            The policy-pack config file (--policy-pack-config), read as the pack reads
                             it: levels by policy name, settings under their policy, e.g.
                             {"certificate-validity": {"expiryWarningDays": 30}}; "inventory" writes one.
  --add-on-connector <name>  Inbound connector (by name) of an add-on service relaying through Exchange
                             Online (signature service, CRM, gateway); repeatable. Exchange does not
                             record this, and such a path has no on-premises Send Connector.
  --now <ISO date>           Evaluate as of this date (certificate expiry).
  --progress, --no-progress  Report progress on stderr (each input, every 500 tenants, the rules; live
                             tenants done/total, rate, time left and retries, at most once a second), or
                             not. Default: on when stderr is a terminal.`;

export const AUDIT_USAGE = `Usage: mailflow-guard audit [paths...] [--live <tenant> ...] [options]

Checks every tenant's connectors and certificates against the mail-flow rules and prints each
finding with its fix.

${INPUTS}

Output:
  --format text|json|sarif|html
                             Output format (default text); html is one self-contained page with the
                             attribution map (give --output report.html).
  --output <file>            Write the report to a file instead of stdout.
  --fail-on mandatory|advisory
                             Lowest severity that makes the exit code 1 (default mandatory).

Exit codes:
  0  no findings at or above --fail-on
  1  findings at or above --fail-on
  2  usage error, or an input could not be read (takes precedence: a partial audit is never "clean";
     everything that could be read is still reported)`;

export const INVENTORY_USAGE = `Usage: mailflow-guard inventory [paths...] [--live <tenant> ...] [--output org.json]

Builds the org-wide assignment table (tenant -> certificate thumbprints, certificate names, sender
IPs, send connectors) and writes it as policy-pack config for the cross-tenant policies:
  pulumi preview --policy-pack policy --policy-pack-config org.json
Cross-tenant conflicts are printed on stderr.

${INPUTS}

Output:
  --output <file>            Write the config to a file instead of stdout.

Exit codes:
  0  table written, no cross-tenant conflicts
  1  table written, cross-tenant conflicts found (listed on stderr)
  2  usage error, or an input could not be read (the table is still written from what was read)`;

export const PLAN_USAGE = `Usage: mailflow-guard plan [paths...] [--live <tenant> ...] --output <dir> [--stack <name>] [--source-server <name> ...]

Reads what "audit" reads and writes the healthy target (a certificate and a Send Connector of its own
per tenant, certificate-based OnPremises inbound connectors) into <dir>:
  runbook.md            the cutover in the order that keeps mail flowing, every command in the shell it
                        runs in (Exchange Management Shell; PowerShell with ExchangeOnlineManagement,
                        one session per tenant), with expected results and rollbacks, ending with a
                        re-export into a new folder and the audit of it
  plan.json             the same for machines; "changes" is 0 when nothing is to be done
  Pulumi.<stack>.yaml   stack config for the root project (program/); existing connectors are adopted by name
  report.html           the same as one page to open: today's findings per tenant and the attribution map
                        (Send Connectors -> certificates, names, IPs -> inbound connectors -> tenants)
                        today and after the plan, side by side

${INPUTS}

Output:
  --output <dir>             Folder to write the plan to (created if missing). Required.
  --stack <name>             Stack name of the generated config (default migration).
  --source-server <name>     An on-premises transport server that sends to the tenants (repeatable),
                             e.g. --source-server EX01 --source-server EX02. Needed without an
                             on-premises Send Connector export (the plan then says what it assumed);
                             overrides the servers the export names.

Exit codes:
  0  plan written (also when there is nothing to change)
  2  usage error, an input could not be read, or the input cannot support a plan (the message says
     what to provide); nothing is written`;
