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
import { comment, mayDelete, metadataChanges, ownershipChanged, recorded, unmarked } from "./ownership";
import { shellFromEnvironment } from "./environment";
import { routingDomainTenant } from "../../policy/src/engine/clouds";

/**
 * CRUD for an on-premises Send Connector: the exact Exchange Management Shell script is generated,
 * exposed as an output (for change-controlled environments) and run by the configured shell. The
 * provider plugin (provider/send-connector.ts) serves `mailflow:exchange:SendConnector` with it;
 * 0.1.x state still reaches it by package path until its first `pulumi up` (see the inbound one).
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
  /** The connector's Comment as last seen (see the inbound connector's). */
  comment?: string;
}

/** Keys that record what the program said, not what Exchange holds (see metadataChanges). */
const SEND_METADATA = ["tenants", "certificatePem", "certificateThumbprint", "owner", "shell", "shellEnv"] as const;

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

async function run(inputs: Partial<Pick<SendConnectorInputs, "shell" | "shellEnv">>, script: string): Promise<unknown> {
  // An imported connector's state names no shell: the environment's, else local pwsh.
  const shell = inputs.shell && inputs.shell.length > 0 ? inputs.shell : shellFromEnvironment();
  const result = await runPowerShell(script, {
    command: shell.length > 0 ? shell : DEFAULT_POWERSHELL_COMMAND,
    env: { ...process.env, ...(inputs.shellEnv ?? {}) },
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

/**
 * Whether the on-premises shell can read this Send Connector now (it may not exist: that is fine).
 * Returns the reason it cannot, for a pair's delete to stop before either side is touched.
 */
export async function unreachable(inputs: Pick<SendConnectorInputs, "name"> & Partial<SendConnectorInputs>): Promise<string | undefined> {
  try {
    await get(inputs);
    return undefined;
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

async function get(inputs: Pick<SendConnectorInputs, "name"> & Partial<SendConnectorInputs>): Promise<SendConnectorOutput | undefined> {
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
    return { id: live.Guid || live.Identity, outs: outputs(inputs, live.Identity, script) };
  }
  const script = newSendConnectorScript(spec(inputs));
  const live = parseSendConnectorOutput(await run(inputs, script));
  return { id: live.Guid || live.Identity, outs: outputs(inputs, live.Identity, script) };
}

function outputs(inputs: SendConnectorInputs, identity: string, script: string, seen?: string): SendConnectorOutputs {
  return { ...recorded(inputs), identity, script, comment: seen ?? comment(inputs.owner) };
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
  changed.push(...metadataChanges(olds, news, SEND_METADATA), ...unmarked(olds, news));
  // A new name is Set-SendConnector -Name, in place.
  if (olds.name !== news.name) changed.push("name");
  return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
}

export async function update(_id: string, olds: SendConnectorOutputs, news: SendConnectorInputs): Promise<pulumi.dynamic.UpdateResult> {
  // Only what state records changed (shell, owner, the 0.1.x provider code): Exchange is left alone.
  if (
    olds.name === news.name &&
    COMPARED.every((key) => comparable(olds[key]) === comparable(news[key])) &&
    unmarked(olds, news).length === 0
  )
    return { outs: outputs(news, olds.identity, olds.script ?? "", olds.comment) };
  // The Comment as Exchange has it (an imported connector's may be empty); the script marks it as this stack's.
  const { comment: _ours, ...rest } = spec(olds);
  const before: SendConnectorSpec = olds.comment ? { ...rest, comment: olds.comment } : olds.owner === undefined ? rest : spec(olds);
  const script = setSendConnectorScript(before, spec(news));
  const live = parseSendConnectorOutput(await run(news, script));
  return { outs: outputs(news, live.Identity, script) };
}

/** The tenants a connector routes to, from its address spaces (<name>.mail.onmicrosoft.com, the cloud table's routing domains). */
function tenantsFromAddressSpaces(addressSpaces: readonly string[]): string[] {
  const tenants = addressSpaces.map((space) => routingDomainTenant(normalizeAddressSpace(space)));
  return [...new Set(tenants.filter((tenant): tenant is string => tenant !== undefined))].sort();
}

/** An existing Send Connector as the provider's inputs, for `pulumi import` (the ID is its name). */
async function importConnector(id: string): Promise<pulumi.dynamic.ReadResult & { inputs?: Record<string, unknown> }> {
  const live = await get({ name: id });
  if (!live) return { id: "", props: {} };
  const current = specFromLive(live, { tlsAuthLevel: "EncryptionOnly" } as SendConnectorInputs);
  const inputs: Record<string, unknown> = {
    name: live.Name,
    tenants: tenantsFromAddressSpaces(live.AddressSpaces),
    addressSpaces: live.AddressSpaces.map(normalizeAddressSpace),
    smartHosts: live.SmartHosts,
    dnsRoutingEnabled: live.DNSRoutingEnabled,
    requireTls: live.RequireTLS,
    tlsAuthLevel: current.tlsAuthLevel,
    ...(current.tlsDomain ? { tlsDomain: current.tlsDomain } : {}),
    ...(current.tlsCertificateName ? { tlsCertificateName: current.tlsCertificateName } : {}),
    cloudServicesMailEnabled: live.CloudServicesMailEnabled,
    sourceTransportServers: live.SourceTransportServers,
    ...(live.Fqdn ? { fqdn: live.Fqdn } : {}),
  };
  return {
    id,
    props: { ...inputs, identity: live.Identity, script: "", comment: typeof live.Comment === "string" ? live.Comment : "" },
    inputs,
  };
}

export async function read(id: string, props: SendConnectorOutputs): Promise<pulumi.dynamic.ReadResult> {
  if (props.name === undefined) return importConnector(id);
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
  if (!mayDelete(live.Comment, props)) {
    throw new Error(
      `Send connector "${props.name}" ${ownershipChanged(props)}; not deleting it. Remove it by hand if intended, then run 'pulumi state delete'.`,
    );
  }
  try {
    await run(props, removeSendConnectorScript(props.name));
  } catch (error) {
    // Gone already (an earlier attempt that went through, or removed meanwhile): the delete is done.
    if (!isNotFound(error)) throw error;
  }
}
