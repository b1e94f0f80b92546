import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { afterEach, describe, it } from "node:test";
import { z } from "zod";
import { AddOnServiceRelayArgsSchema } from "../../../components/add-on-service-relay";
import { ExchangeOnlineConnectionSchema } from "../../../components/providers/connection";
import { connectionFromEnvironment, ENVIRONMENT, setProviderConfiguration } from "../../../components/providers/environment";
import { diff as inboundDiff, parseImportId } from "../../../components/providers/inbound-connector-impl";
import { diff as sendDiff } from "../../../components/providers/send-connector-impl";
import { HybridOrganizationArgsSchema } from "../../../components/hybrid-organization";
import { TenantConnectorPairArgsSchema } from "../../../components/tenant-connector-pair";
import { captureConfiguration, configurationFrom } from "../../../provider/configure";
import { inboundConnector, sendConnector } from "../../../provider/connectors";
import { packageSchema } from "../../../provider/schema";
import { containsUnknown, ownerFromUrn, reveal, secret, typeFromUrn, UNKNOWN } from "../../../provider/secrets";

const schema = packageSchema("9.9.9") as {
  types: Record<string, { properties?: Record<string, Record<string, unknown>> }>;
  resources: Record<string, { inputProperties: Record<string, Record<string, unknown>>; requiredInputs: string[] }>;
};
const URN = "urn:pulumi:prod::mail::mailflow:exchange:TenantConnectorPair$mailflow:exchange:InboundConnector::contoso-inbound";

/** The object shape inside optional/default wrappers, or undefined for a non-object schema. */
function shapeOf(type: z.ZodType): Record<string, z.ZodType> | undefined {
  let inner: z.ZodType = type;
  for (;;) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodNullable)
      inner = inner.unwrap() as z.ZodType;
    else if (inner instanceof z.ZodArray) inner = inner.element as z.ZodType;
    else break;
  }
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** The schema's properties of a property spec: its $ref type's, or an array's items'. */
function propertiesOf(spec: Record<string, unknown>): Record<string, Record<string, unknown>> | undefined {
  const target = (spec.items as Record<string, unknown> | undefined) ?? spec;
  const ref = target.$ref as string | undefined;
  return ref ? schema.types[ref.replace("#/types/", "")]?.properties : undefined;
}

/** Every property name, at every depth, of a component's zod schema and of the package schema. */
function compare(zodShape: Record<string, z.ZodType>, properties: Record<string, Record<string, unknown>>, path: string): string[] {
  const problems: string[] = [];
  const zodKeys = Object.keys(zodShape).sort();
  const schemaKeys = Object.keys(properties).sort();
  if (JSON.stringify(zodKeys) !== JSON.stringify(schemaKeys))
    problems.push(`${path}: zod ${zodKeys.join(",")} vs schema ${schemaKeys.join(",")}`);
  for (const key of zodKeys) {
    const spec = properties[key];
    if (!spec) continue;
    if (typeof spec.description !== "string" || spec.description === "") problems.push(`${path}.${key} has no description`);
    // exchangeOnline is checked by the connection schema the providers use.
    const zodType = key === "exchangeOnline" ? (ExchangeOnlineConnectionSchema as z.ZodType) : (zodShape[key] as z.ZodType);
    const nested = shapeOf(zodType);
    const nestedProperties = propertiesOf(spec);
    if (nested && nestedProperties) problems.push(...compare(nested, nestedProperties, `${path}.${key}`));
    else if (nested || nestedProperties) problems.push(`${path}.${key}: an object on one side only`);
  }
  return problems;
}

describe("the package schema", () => {
  for (const [component, zodSchema] of [
    ["TenantConnectorPair", TenantConnectorPairArgsSchema],
    ["HybridOrganization", HybridOrganizationArgsSchema],
    ["AddOnServiceRelay", AddOnServiceRelayArgsSchema],
  ] as const) {
    it(`names every argument of ${component} at every depth, as TypeScript does, each with a description`, () => {
      const resource = schema.resources[`mailflow:exchange:${component}`];
      assert.ok(resource, component);
      assert.deepEqual(compare(zodSchema.shape as Record<string, z.ZodType>, resource.inputProperties, component), []);
    });
  }

  it("marks every credential secret", () => {
    assert.equal(schema.types["mailflow:exchange:ExchangeOnline"]?.properties?.token?.secret, true);
    assert.equal(schema.types["mailflow:exchange:ExchangeOnlineApp"]?.properties?.privateKeyPem?.secret, true);
    assert.equal(schema.types["mailflow:exchange:OnPremises"]?.properties?.shellEnv?.secret, true);
    assert.equal(schema.resources["mailflow:exchange:InboundConnector"]?.inputProperties.connection?.secret, true);
    assert.equal(schema.resources["mailflow:exchange:SendConnector"]?.inputProperties.shellEnv?.secret, true);
  });

  it("describes the resources with the keys the policy pack reads", () => {
    const inbound = Object.keys(schema.resources["mailflow:exchange:InboundConnector"]?.inputProperties ?? {});
    for (const key of ["tenant", "acceptedDomains", "tlsSenderCertificateName", "senderIPAddresses", "certificateThumbprint"])
      assert.ok(inbound.includes(key), key);
    const send = Object.keys(schema.resources["mailflow:exchange:SendConnector"]?.inputProperties ?? {});
    for (const key of ["tenants", "smartHosts", "tlsCertificateName", "certificatePem", "sourceTransportServers"])
      assert.ok(send.includes(key), key);
  });
});

describe("values as the engine sends them", () => {
  it("reveals secrets deeply and wraps them again", () => {
    const wrapped = secret({ token: secret("t0k") });
    assert.deepEqual(reveal(wrapped), { token: "t0k" });
    assert.deepEqual(reveal(secret(wrapped)), { token: "t0k" }, "a secret is not wrapped twice");
    assert.equal(containsUnknown({ a: [1, UNKNOWN] }), true);
    assert.equal(containsUnknown(secret(UNKNOWN)), true);
    assert.equal(containsUnknown({ a: [1, "x"] }), false);
  });

  it("reads the project, stack and type of a URN", () => {
    assert.equal(ownerFromUrn(URN), "mail/prod");
    assert.equal(typeFromUrn(URN), "mailflow:exchange:InboundConnector");
  });
});

describe("check", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    setProviderConfiguration({});
  });
  const inputs = () => ({
    tenant: "contoso.onmicrosoft.com",
    acceptedDomains: ["contoso.com"],
    name: "Partner relay",
    connection: secret({ endpoint: "http://127.0.0.1:9", token: "t0k" }),
  });

  it("fills in Exchange's defaults and the owner from the URN, and keeps the connection secret", async () => {
    const result = await inboundConnector.check(URN, {}, inputs());
    assert.equal(result.failures, undefined);
    const checked = result.inputs as Record<string, unknown>;
    assert.equal(checked.owner, "mail/prod");
    assert.equal(checked.connectorType, "OnPremises");
    assert.deepEqual(checked.senderDomains, ["*"]);
    assert.equal(checked.requireTls, false);
    assert.equal(checked.cloudServicesMailEnabled, false);
    assert.deepEqual(checked.connection, inputs().connection);
  });

  it("names the property that is wrong, never its value", async () => {
    const result = await inboundConnector.check(
      URN,
      {},
      {
        ...inputs(),
        requireTls: "yes",
        connection: secret({ endpoint: "not a url", token: "s3cret-value" }),
      },
    );
    assert.deepEqual(
      result.failures?.map((f) => f.property),
      ["requireTls", "connection.endpoint"],
    );
    assert.equal(
      result.failures?.[1]?.reason,
      'Invalid value for exchangeOnline.endpoint: "not a url". Give an http(s) URL such as https://outlook.office365.com, or leave it out for the cloud\'s own',
    );
    assert.equal(JSON.stringify(result.failures).includes("s3cret-value"), false);
  });

  it("names a property the resource does not have instead of passing it through unread", async () => {
    const result = await inboundConnector.check(URN, {}, { ...inputs(), requireTLS: true });
    assert.deepEqual(result.failures, [{ property: "requireTLS", reason: 'Unrecognized key: "requireTLS"' }]);
  });

  it("refuses a connector with no way to reach Exchange Online, and takes the environment's", async () => {
    delete process.env[ENVIRONMENT.token];
    delete process.env[ENVIRONMENT.clientId];
    const { connection: _connection, ...without } = inputs();
    const refused = await inboundConnector.check(URN, {}, without);
    assert.deepEqual(
      refused.failures?.map((f) => f.property),
      ["connection"],
    );
    assert.match(
      refused.failures?.[0]?.reason ?? "",
      /^no Exchange Online connection: give connection\.token or connection\.app, or set MAILFLOW_GUARD_EXO_TOKEN/,
    );
    process.env[ENVIRONMENT.token] = "from-env";
    assert.equal((await inboundConnector.check(URN, {}, without)).failures, undefined);
    delete process.env[ENVIRONMENT.token];
    // The provider's own configuration counts too: it is what the provider would use.
    setProviderConfiguration({ token: "from-config" });
    assert.equal((await inboundConnector.check(URN, {}, without)).failures, undefined);
  });

  it("leaves values not known until apply to the policy pack", async () => {
    const result = await sendConnector.check(
      URN.replace("InboundConnector", "SendConnector"),
      {},
      {
        name: "Outbound to contoso.onmicrosoft.com",
        addressSpaces: UNKNOWN,
        sourceTransportServers: ["EX01"],
      },
    );
    assert.equal(result.failures, undefined);
    assert.equal((result.inputs as Record<string, unknown>).addressSpaces, UNKNOWN);
  });
});

describe("import", () => {
  it("takes <tenant>/<connector> as an inbound connector's import ID", () => {
    assert.deepEqual(parseImportId("Contoso.onmicrosoft.com/From on-premises (IP)"), {
      tenant: "contoso.onmicrosoft.com",
      identity: "From on-premises (IP)",
    });
    assert.throws(
      () => parseImportId("From on-premises (IP)"),
      new Error(
        'import ID "From on-premises (IP)" is not <tenant>/<connector>: give the tenant (its initial domain or ID) and the connector\'s name, such as "contoso.onmicrosoft.com/Inbound from on-premises".',
      ),
    );
  });

  const live = {
    tenant: "contoso.onmicrosoft.com",
    acceptedDomains: ["contoso.com"],
    name: "Legacy",
    connectorType: "OnPremises" as const,
    senderIPAddresses: ["198.51.100.7"],
    senderDomains: ["*"],
    requireTls: true,
    restrictDomainsToCertificate: false,
    restrictDomainsToIPAddresses: false,
    treatMessagesAsInternal: false,
    cloudServicesMailEnabled: false,
    identity: "Legacy",
    guid: "g",
    comment: "",
  };

  it("an imported connector that the program declares as it is has no change: what state never had is not a change", async () => {
    const program = { ...live, owner: "mail/prod", certificateThumbprint: "AB", connection: { token: "t" } };
    assert.equal((await inboundDiff("id", live as never, program)).changes, false);
    // Once recorded, a changed credential or owner is an update (that touches nothing in Exchange).
    assert.equal((await inboundDiff("id", { ...program }, { ...program, connection: { token: "new" } })).changes, true);
    assert.equal((await inboundDiff("id", live as never, { ...program, requireTls: false })).changes, true);
  });

  it("a connector a component adopted is marked as its stack's by the update after the import; one imported by hand is not", async () => {
    const program = { ...live, owner: "mail/prod", connection: { token: "t" } };
    assert.equal((await inboundDiff("id", live as never, { ...program, adopt: true })).changes, true);
    assert.equal((await inboundDiff("id", live as never, program)).changes, false);
    const marked = {
      ...live,
      ...program,
      comment: "Managed by mailflow-guard for mail/prod. Changes made here are reverted by the next pulumi up.",
    };
    assert.equal((await inboundDiff("id", marked, { ...program, adopt: true })).changes, false, "marked once, then left alone");
  });

  it("0.1.x state, which carries its provider's code, is rewritten once", async () => {
    const old = { ...live, owner: "mail/prod", connection: { token: "t" }, __provider: "exports.handler = …" };
    const { __provider: _code, ...program } = old;
    assert.equal((await inboundDiff("id", old, program)).changes, true);
    const send = {
      name: "Outbound",
      tenants: ["contoso.onmicrosoft.com"],
      addressSpaces: ["contoso.mail.onmicrosoft.com"],
      smartHosts: [],
      dnsRoutingEnabled: true,
      requireTls: true,
      tlsAuthLevel: "DomainValidation" as const,
      cloudServicesMailEnabled: true,
      sourceTransportServers: ["EX01"],
      owner: "mail/prod",
      shell: [],
      shellEnv: {},
    };
    assert.equal((await sendDiff("id", { ...send, identity: "Outbound", script: "", __provider: "code" } as never, send)).changes, true);
    assert.equal((await sendDiff("id", { ...send, identity: "Outbound", script: "" }, send)).changes, false);
  });
});

describe("the provider's configuration (mailflow:token, …)", () => {
  afterEach(() => setProviderConfiguration({}));
  const request = (args: Record<string, unknown>, variables: [string, string][] = []) => ({
    getArgs: () => ({ toJavaScript: () => args }),
    getVariablesMap: () => ({ entries: () => variables }),
  });

  it("reads Configure's args, secrets revealed, and the older mailflow:config:<key> variables", () => {
    assert.deepEqual(configurationFrom(request({ token: secret("t0k"), endpoint: "http://127.0.0.1:9", version: "0.2.0" })), {
      values: { endpoint: "http://127.0.0.1:9", token: "t0k" },
      problems: [],
    });
    assert.deepEqual(configurationFrom(request({}, [["mailflow:config:onPremisesShell", '["pwsh","-Command","-"]']])), {
      values: { onPremisesShell: ["pwsh", "-Command", "-"] },
      problems: [],
    });
  });

  it("names a key it does not know and a value it cannot use, and check refuses every resource while they stand", async () => {
    const { values, problems } = configurationFrom(request({ tokn: "t0k", onPremisesShell: "pwsh -Command -" }));
    assert.deepEqual(values, {});
    assert.deepEqual(problems, [
      "mailflow:tokn is not a setting of the mailflow provider; its settings are: mailflow:endpoint, mailflow:token, mailflow:clientId, mailflow:certificatePem, mailflow:privateKeyPem, mailflow:onPremisesShell.",
      'mailflow:onPremisesShell is not a list of words; give a JSON list such as ["pwsh","-NoProfile","-NonInteractive","-Command","-"].',
    ]);
    setProviderConfiguration(values, problems);
    const checked = await inboundConnector.check(
      URN,
      {},
      {
        tenant: "contoso.onmicrosoft.com",
        acceptedDomains: ["contoso.com"],
        name: "Partner relay",
        connection: secret({ token: "t" }),
      },
    );
    assert.deepEqual(
      checked.failures?.map((f) => f.property),
      ["mailflow:tokn", "mailflow:onPremisesShell"],
    );
    assert.throws(
      () => connectionFromEnvironment("imported", { [ENVIRONMENT.token]: "from-env" }),
      /^EnvironmentError: The provider's configuration cannot be used: mailflow:tokn is not a setting/,
    );
  });

  it("is what an import uses when the state holds no credentials", () => {
    setProviderConfiguration({ endpoint: "http://127.0.0.1:9", token: "t0k" });
    assert.deepEqual(connectionFromEnvironment("imported", {}), { endpoint: "http://127.0.0.1:9", token: "t0k" });
    setProviderConfiguration({});
    assert.throws(
      () => connectionFromEnvironment("The state holds no credentials", {}),
      /^EnvironmentError: The state holds no credentials, so the provider/,
    );
  });

  it("is read from the Configure call the installed SDK's provider server answers itself", () => {
    captureConfiguration();
    // The SDK registers its service object on @grpc/grpc-js's Server, the same module it requires.
    const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/provider"));
    const grpc = sdkRequire("@grpc/grpc-js") as { Server: new () => { addService(service: object, implementation: object): void } };
    let answered = false;
    const implementation = {
      configure: (_call: unknown, callback: () => void) => {
        answered = true;
        callback();
      },
    };
    const { ResourceProviderService } = sdkRequire("@pulumi/pulumi/proto/provider_grpc_pb") as { ResourceProviderService: object };
    new grpc.Server().addService(ResourceProviderService, implementation);
    implementation.configure({ request: request({ token: secret("from-config") }) } as never, () => {});
    assert.equal(answered, true, "the SDK's own configure still answers the engine");
    assert.deepEqual(connectionFromEnvironment("imported", {}), { token: "from-config" });
  });
});
