import type * as provider from "@pulumi/pulumi/provider";
import { z } from "zod";
import { ExchangeOnlineConnectionSchema } from "../components/providers/connection";
import { configurationProblems, connectionFromEnvironment, ENVIRONMENT, EnvironmentError } from "../components/providers/environment";
import * as inbound from "../components/providers/inbound-connector-impl";
import * as send from "../components/providers/send-connector-impl";
import { InboundConnectorSchema } from "../policy/src/engine/model";
import { containsUnknown, ownerFromUrn, reveal, secret } from "./secrets";

/**
 * The two custom resources of the plugin: `check` validates and fills in Exchange's own defaults,
 * the CRUD calls go to the same implementations the components' resources always used
 * (components/providers/*-impl.ts). Secret inputs stay secret in what is returned.
 */

export interface ConnectorHandler {
  check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.CheckResult>;
  diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.DiffResult>;
  create(inputs: Record<string, unknown>): Promise<provider.CreateResult>;
  read(id: string, props: Record<string, unknown>): Promise<provider.ReadResult>;
  update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.UpdateResult>;
  delete(id: string, props: Record<string, unknown>): Promise<void>;
}

const names = z.array(z.string());

/** Inputs of mailflow:exchange:InboundConnector; Exchange's defaults (New-InboundConnector) are the engine model's. */
const InboundInputsSchema = InboundConnectorSchema.pick({
  requireTls: true,
  restrictDomainsToCertificate: true,
  restrictDomainsToIPAddresses: true,
  treatMessagesAsInternal: true,
  cloudServicesMailEnabled: true,
  addOnService: true,
  certificateThumbprint: true,
})
  .extend({
    tenant: z.string().min(1),
    acceptedDomains: names.min(1),
    name: z.string().min(1),
    connectorType: z.enum(["OnPremises", "Partner"]).default("OnPremises"),
    tlsSenderCertificateName: z.string().optional(),
    senderIPAddresses: names.default([]),
    senderDomains: names.default(["*"]),
    owner: z.string().optional(),
    adopt: z.boolean().optional(),
    connection: z.unknown().optional(),
    pairedSendConnector: z.unknown().optional(),
  })
  .strict();

/** Inputs of mailflow:exchange:SendConnector, with New-SendConnector's defaults. */
const SendInputsSchema = z
  .object({
    name: z.string().min(1),
    tenants: names.default([]),
    addressSpaces: names.min(1),
    smartHosts: names.default([]),
    dnsRoutingEnabled: z.boolean().default(true),
    requireTls: z.boolean().default(false),
    tlsAuthLevel: z.enum(["EncryptionOnly", "CertificateValidation", "DomainValidation"]).optional(),
    tlsDomain: z.string().optional(),
    tlsCertificateName: z.string().optional(),
    cloudServicesMailEnabled: z.boolean().default(false),
    sourceTransportServers: names.min(1),
    fqdn: z.string().optional(),
    certificatePem: z.string().optional(),
    certificateThumbprint: z.string().optional(),
    owner: z.string().optional(),
    adopt: z.boolean().optional(),
    shell: names.default([]),
    shellEnv: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/**
 * Validates inputs at preview; values not known yet are left to the policy pack, which refuses
 * to pass what it cannot verify. Returns the inputs with defaults, secrets still wrapped.
 */
function checkInputs(schema: z.ZodObject, urn: string, news: Record<string, unknown>): provider.CheckResult {
  const known = Object.fromEntries(Object.entries(news).filter(([, value]) => !containsUnknown(value)));
  const unknownKeys = Object.keys(news).filter((key) => !(key in known));
  // Keys whose value is not known yet are not required now.
  const mask = Object.fromEntries(unknownKeys.map((key) => [key, true as const])) as Record<string, true> & Record<number, never>;
  const parsed = schema.partial(mask).safeParse(reveal(known));
  if (!parsed.success) {
    return {
      inputs: news,
      failures: parsed.error.issues.map((issue) => ({
        // A property the resource does not have is named, never passed through unread.
        property: issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : "(inputs)"),
        // Never echo a value here: some inputs hold credentials.
        reason: issue.message,
      })),
    };
  }
  const withDefaults: Record<string, unknown> = { ...(parsed.data as Record<string, unknown>) };
  // Keep what the engine sent as it was (secret wrappers, unknowns); add only the defaults.
  for (const key of Object.keys(news)) withDefaults[key] = news[key];
  withDefaults.owner ??= ownerFromUrn(urn);
  for (const [key, value] of Object.entries(withDefaults)) if (value === undefined) delete withDefaults[key];
  return { inputs: withDefaults };
}

/** What the provider's configuration holds that it cannot use, named at every check (it is not read). */
function configurationFailures(): provider.CheckFailure[] {
  return configurationProblems().map((reason) => ({ property: reason.split(" ")[0] as string, reason }));
}

function connectionFailures(news: Record<string, unknown>): provider.CheckFailure[] {
  // A configuration with problems is named by configurationFailures; not a second time here.
  if (containsUnknown(news.connection) || configurationProblems().length > 0) return [];
  if (news.connection === undefined) {
    // What create, read and delete would use instead: the provider's configuration, then the environment.
    try {
      connectionFromEnvironment("no connection");
      return [];
    } catch (error) {
      const detail = error instanceof EnvironmentError && /^\S+: cannot read/.test(error.message) ? ` (${error.message})` : "";
      return [
        {
          property: "connection",
          reason: `no Exchange Online connection: give connection.token or connection.app, or set ${ENVIRONMENT.token} (or ${ENVIRONMENT.clientId} with ${ENVIRONMENT.certificateFile} and ${ENVIRONMENT.privateKeyFile}) for pulumi, or the provider's mailflow:token${detail}`,
        },
      ];
    }
  }
  const parsed = ExchangeOnlineConnectionSchema.safeParse(reveal(news.connection));
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({ property: ["connection", ...issue.path].join("."), reason: issue.message }));
}

/** The secret keys of each resource's state: encrypted, never shown. */
function withSecrets(props: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(props ?? {}) };
  for (const key of keys) if (out[key] !== undefined) out[key] = secret(out[key]);
  return out;
}

function handler(
  implementation: typeof inbound | typeof send,
  schema: z.ZodObject,
  secretKeys: readonly string[],
  extraFailures: (news: Record<string, unknown>) => provider.CheckFailure[],
): ConnectorHandler {
  // The implementations take the 0.1.x dynamic-provider shapes; these adapt them.
  // biome-ignore lint/suspicious/noExplicitAny: the implementations' typed props are what the engine sends, revealed
  type Any = any;
  const impl = implementation as Any;
  return {
    async check(urn, _olds, news) {
      const result = checkInputs(schema, urn, news);
      const failures = [...(result.failures ?? []), ...configurationFailures(), ...extraFailures(news)];
      return failures.length > 0 ? { inputs: result.inputs, failures } : result;
    },
    diff: (id, olds, news) => impl.diff(id, reveal(olds), reveal(news)),
    async create(inputs) {
      const result = await impl.create(reveal(inputs));
      return { id: result.id, outs: withSecrets(result.outs, secretKeys) };
    },
    async read(id, props) {
      const result = await impl.read(id, reveal(props));
      return { ...result, props: withSecrets(result.props, secretKeys) };
    },
    async update(id, olds, news) {
      const result = await impl.update(id, reveal(olds), reveal(news));
      return { outs: withSecrets(result.outs, secretKeys) };
    },
    delete: (id, props) => impl.remove(id, reveal(props)),
  };
}

export const inboundConnector = handler(inbound, InboundInputsSchema, ["connection", "pairedSendConnector"], connectionFailures);
export const sendConnector = handler(send, SendInputsSchema, ["shellEnv"], () => []);
