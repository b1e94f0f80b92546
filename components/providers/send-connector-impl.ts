import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_POWERSHELL_COMMAND, PowerShellError, runPowerShell } from "../onprem/runner";
import {
  getSendConnectorScript,
  newSendConnectorScript,
  parseSendConnectorOutput,
  removeSendConnectorScript,
  type SendConnectorOutput,
  type SendConnectorSpec,
  setSendConnectorScript,
} from "../onprem/send-connector-script";
import { normalizeAddressSpace } from "../../policy/src/engine/domain";
import { comment } from "./inbound-connector-impl";

/**
 * CRUD for an on-premises Send Connector: the exact Exchange Management Shell script is generated,
 * exposed as an output (for change-controlled environments) and run by the configured shell.
 */

export interface SendConnectorInputs {
  name: string;
  /** Tenants (initial domains) this connector routes to; exactly one. */
  tenants: string[];
  addressSpaces: string[];
  smartHosts: string[];
  dnsRoutingEnabled: boolean;
  requireTls: boolean;
  tlsAuthLevel: "EncryptionOnly" | "CertificateValidation" | "DomainValidation";
  tlsDomain?: string;
  tlsCertificateName?: string;
  cloudServicesMailEnabled: boolean;
  sourceTransportServers: string[];
  fqdn?: string;
  /** The public certificate the connector presents (for the policy gate). */
  certificatePem?: string;
  certificateThumbprint?: string;
  owner: string;
  /** Take over an existing Send Connector of this name that nobody manages yet (see the inbound connector's `adopt`). */
  adopt?: boolean;
  /** Command that runs a script from stdin; empty means the default, local pwsh. */
  shell: string[];
  shellEnv: Record<string, string>;
}

export interface SendConnectorOutputs extends SendConnectorInputs {
  identity: string;
  /** The last script generated for this connector, exactly as run. */
  script: string;
}

function spec(inputs: SendConnectorInputs): SendConnectorSpec {
  return {
    name: inputs.name,
    addressSpaces: inputs.addressSpaces,
    smartHosts: inputs.smartHosts,
    sourceTransportServers: inputs.sourceTransportServers,
    ...(inputs.fqdn ? { fqdn: inputs.fqdn } : {}),
    requireTls: inputs.requireTls,
    tlsAuthLevel: inputs.tlsAuthLevel,
    ...(inputs.tlsDomain ? { tlsDomain: inputs.tlsDomain } : {}),
    ...(inputs.tlsCertificateName ? { tlsCertificateName: inputs.tlsCertificateName } : {}),
    // The server's own Issuer/Subject of this certificate become TlsCertificateName (see the script).
    ...(inputs.tlsCertificateName && inputs.certificateThumbprint ? { tlsCertificateThumbprint: inputs.certificateThumbprint } : {}),
    cloudServicesMailEnabled: inputs.cloudServicesMailEnabled,
    dnsRoutingEnabled: inputs.dnsRoutingEnabled,
    usage: "Custom",
    comment: comment(inputs.owner),
  };
}

async function run(inputs: Pick<SendConnectorInputs, "shell" | "shellEnv">, script: string): Promise<unknown> {
  const result = await runPowerShell(script, {
    command: inputs.shell.length > 0 ? inputs.shell : DEFAULT_POWERSHELL_COMMAND,
    env: { ...process.env, ...inputs.shellEnv },
  });
  return result.json;
}

/** Exchange's "couldn't be found" (ManagementObjectNotFoundException) means absent, not failed. */
function isNotFound(error: unknown): boolean {
  return (
    error instanceof PowerShellError &&
    /couldn't be found|ManagementObjectNotFound/i.test(`${error.stderr}\n${error.stdout}\n${error.message}`)
  );
}

async function get(inputs: SendConnectorInputs): Promise<SendConnectorOutput | undefined> {
  try {
    return parseSendConnectorOutput(await run(inputs, getSendConnectorScript(inputs.name)));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Live connector back into the same spec, so diffs compare like with like. */
function specFromLive(live: SendConnectorOutput, inputs: SendConnectorInputs): SendConnectorSpec {
  return {
    name: live.Name,
    addressSpaces: live.AddressSpaces,
    smartHosts: live.SmartHosts,
    sourceTransportServers: live.SourceTransportServers,
    ...(live.Fqdn ? { fqdn: live.Fqdn } : {}),
    requireTls: live.RequireTLS,
    tlsAuthLevel: (live.TlsAuthLevel ?? inputs.tlsAuthLevel) as SendConnectorSpec["tlsAuthLevel"],
    ...(live.TlsDomain ? { tlsDomain: live.TlsDomain } : {}),
    ...(live.TlsCertificateName ? { tlsCertificateName: live.TlsCertificateName } : {}),
    cloudServicesMailEnabled: live.CloudServicesMailEnabled,
    dnsRoutingEnabled: live.DNSRoutingEnabled,
    usage: "Custom",
    ...(live.Comment ? { comment: live.Comment } : {}),
  };
}

export async function create(inputs: SendConnectorInputs): Promise<pulumi.dynamic.CreateResult> {
  const existing = await get(inputs);
  if (existing) {
    if (existing.Comment !== comment(inputs.owner) && !inputs.adopt) {
      throw new Error(
        `Send connector "${inputs.name}" already exists on-premises and is not managed by ${inputs.owner}. Choose another sendConnector.name, adopt it (mailflow-guard:tenants[].adopt.sendConnector), or remove the existing one (Remove-SendConnector "${inputs.name}") if it is obsolete.`,
      );
    }
    // An earlier create went through but its result was lost, or a brownfield connector is adopted:
    // converge it (the new Comment marks it as this stack's).
    const script = setSendConnectorScript(specFromLive(existing, inputs), spec(inputs));
    const live = parseSendConnectorOutput(await run(inputs, script));
    return { id: live.Guid || live.Identity, outs: { ...inputs, identity: live.Identity, script } };
  }
  const script = newSendConnectorScript(spec(inputs));
  const live = parseSendConnectorOutput(await run(inputs, script));
  return { id: live.Guid || live.Identity, outs: { ...inputs, identity: live.Identity, script } };
}

const COMPARED = [
  "addressSpaces",
  "smartHosts",
  "dnsRoutingEnabled",
  "requireTls",
  "tlsAuthLevel",
  "tlsDomain",
  "tlsCertificateName",
  "cloudServicesMailEnabled",
  "sourceTransportServers",
  "fqdn",
] as const;

/** Exchange prints address spaces as "SMTP:contoso.mail.onmicrosoft.com;1"; compare the address only. */
function comparable(value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify(value.map((v) => normalizeAddressSpace(String(v))).sort());
  return JSON.stringify(typeof value === "string" ? value.toLowerCase() : (value ?? null));
}

export async function diff(_id: string, olds: SendConnectorOutputs, news: SendConnectorInputs): Promise<pulumi.dynamic.DiffResult> {
  const changed: string[] = COMPARED.filter((key) => comparable(olds[key]) !== comparable(news[key]));
  for (const key of ["tenants", "certificatePem", "owner", "shell"] as const) {
    if (JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null)) changed.push(key);
  }
  const replaces = olds.name.toLowerCase() !== news.name.toLowerCase() ? ["name"] : [];
  return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace: false };
}

export async function update(_id: string, olds: SendConnectorOutputs, news: SendConnectorInputs): Promise<pulumi.dynamic.UpdateResult> {
  const script = setSendConnectorScript(spec(olds), spec(news));
  const live = parseSendConnectorOutput(await run(news, script));
  return { outs: { ...news, identity: live.Identity, script } };
}

export async function read(id: string, props: SendConnectorOutputs): Promise<pulumi.dynamic.ReadResult> {
  const live = await get(props);
  if (!live) return { id: "", props: {} };
  const current = specFromLive(live, props) as unknown as Record<(typeof COMPARED)[number], unknown>;
  // Keep the recorded form where the live value means the same ("SMTP:x;1" is "x"): only real drift shows.
  const drifted = Object.fromEntries(
    COMPARED.filter((key) => comparable(props[key]) !== comparable(current[key])).map((key) => [key, current[key]]),
  );
  return { id, props: { ...props, ...drifted } };
}

export async function remove(_id: string, props: SendConnectorOutputs): Promise<void> {
  const live = await get(props);
  if (!live) return;
  if (live.Comment !== comment(props.owner)) {
    throw new Error(
      `Send connector "${props.name}" is no longer marked as managed by ${props.owner} (its Comment changed); not deleting it. Remove it by hand if intended, then run 'pulumi state delete'.`,
    );
  }
  try {
    await run(props, removeSendConnectorScript(props.name));
  } catch (error) {
    // Gone already (an earlier attempt that went through, or removed meanwhile): the delete is done.
    if (!isNotFound(error)) throw error;
  }
}
