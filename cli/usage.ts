/** Help texts; each subcommand's --help prints its own. */

export const MAIN_USAGE = `Usage: mailflow-guard <command> [options]

Commands:
  audit      Check Exchange mail-flow connectors (exports, stack exports, live tenants) against the rules
  inventory  Build the org-wide certificate/IP/send-connector assignment table as policy-pack config
  plan       Turn an audited organization into a gated Pulumi stack config, certificate requests and a cutover runbook

Run "mailflow-guard <command> --help" (or "mailflow-guard help <command>") for the options of a command.`;

const INPUTS = `Inputs (any number, mixed):
  <dir>                      Export folder: one sub-folder per tenant named after its initial domain
                             (<dir>/contoso.onmicrosoft.com/) with AcceptedDomain.json and
                             InboundConnector.json; SendConnector.json and ExchangeCertificate.json from
                             on-premises in the tenant folder or in a shared <dir>/_onprem/ folder.
                             A single tenant folder may be given directly.
  <file.json>                A "pulumi stack export" file.
  --live <tenant>            Read a tenant from Exchange Online (repeatable); with
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
  --progress, --no-progress  Report progress on stderr (each input, each live tenant, every 500
                             tenants, the rules), or not. Default: on when stderr is a terminal.`;

export const AUDIT_USAGE = `Usage: mailflow-guard audit [paths...] [--live <tenant> ...] [options]

Checks every tenant's connectors and certificates against the mail-flow rules and prints each
finding with its fix.

${INPUTS}

Output:
  --format text|json|sarif   Output format (default text).
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

export const PLAN_USAGE = `Usage: mailflow-guard plan [paths...] [--live <tenant> ...] --output <dir> [--stack <name>]

Reads what "audit" reads and writes the healthy target (a certificate and a Send Connector of its own
per tenant, certificate-based OnPremises inbound connectors) into <dir>:
  runbook.md            certificate requests (Exchange Management Shell), the cutover in the order that
                        keeps mail flowing, with expected results and rollbacks, and the attribution of
                        each on-premises path today and after the plan
  plan.json             the same for machines; "changes" is 0 when nothing is to be done
  Pulumi.<stack>.yaml   stack config for the root project (program/); existing connectors are adopted by name

${INPUTS}

Output:
  --output <dir>             Folder to write the plan to (created if missing). Required.
  --stack <name>             Stack name of the generated config (default migration).

Exit codes:
  0  plan written (also when there is nothing to change)
  2  usage error, an input could not be read, or the input cannot support a plan (the message says
     what to provide); nothing is written`;
