import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { installConfigureHook } from "../../../policy/src/pack/configure-hook";
import { buildPolicies, configurePack } from "../../../policy/src/pack/policies";
import { INBOUND_CONNECTOR_TYPE, LEGACY_INBOUND_CONNECTOR_TYPE, SEND_CONNECTOR_TYPE } from "../../../policy/src/sources/pulumi";
import { makeCertificatePem } from "../../support/certs";

/** A Send Connector whose certificate expires in 100 days: inside a 400-day window, outside the default 60. */
function expiringSoon() {
  const pem = makeCertificatePem({
    dnsNames: ["relay.contoso.com"],
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 100 * 86_400_000),
  });
  return {
    type: SEND_CONNECTOR_TYPE,
    name: "contoso-send",
    urn: "urn:pulumi:s::p::x::contoso-send",
    props: { name: "Outbound to contoso.onmicrosoft.com", tenants: ["contoso.onmicrosoft.com"], certificatePem: pem },
  };
}

function runStackPolicy(name: string, own: object | undefined): string[] {
  const policy = buildPolicies().find((p) => p.name === name) as StackValidationPolicy;
  const messages: string[] = [];
  const report: ReportViolation = (message) => messages.push(message);
  policy.validateStack({ resources: [expiringSoon()], getConfig: () => own } as unknown as StackValidationArgs, report);
  return messages;
}

describe("the pack reads its config through the engine's parser", () => {
  it("refuses an unknown setting with one paragraph and no stack frames", () => {
    assert.throws(
      () => runStackPolicy("certificate-validity", { expiryWarningDayz: 30 }),
      (error: Error) => {
        assert.equal(
          error.message,
          'mailflow-guard policy config: "certificate-validity" has no setting "expiryWarningDayz". Did you mean "expiryWarningDays"? Its settings are: expiryWarningDays, enforcementLevel.',
        );
        assert.equal(error.stack, error.message);
        return true;
      },
    );
  });

  it("gives the advisory companion the settings written under the rule, once the whole config is known", () => {
    assert.deepEqual(runStackPolicy("certificate-validity-advisory", {}), []);
    configurePack({
      "certificate-validity": { expiryWarningDays: 400 },
      "certificate-validity-advisory": { enforcementLevel: "advisory" },
    });
    const [message] = runStackPolicy("certificate-validity-advisory", {});
    assert.match(message ?? "", /expires on \d{4}-\d\d-\d\d, within the 400-day warning window\. Fix: Renew it/);
  });

  it("refuses a whole config that names a policy the pack does not have, before anything is analyzed", () => {
    assert.throws(() => configurePack({ "certificate-validty": { enforcementLevel: "mandatory" } }), {
      message: /"certificate-validty" is not a policy of the mailflow-guard pack\. Did you mean "certificate-validity"\?/,
    });
  });

  it("hooks the analyzer's Configure call of the installed @pulumi/policy", async () => {
    let checked: unknown;
    assert.equal(
      installConfigureHook((config) => {
        checked = config;
        if ("bad" in config) throw new Error("refused: bad");
      }),
      true,
    );
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [require("node:path").dirname(require.resolve("@pulumi/policy"))] }));
    const { AnalyzerService } = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
    const server = new grpc.Server();
    let configured = 0;
    server.addService(AnalyzerService, {
      configure: (_call: unknown, callback: (e: unknown, r?: unknown) => void) => callback(null, configured++),
    });
    const handler = server.handlers?.get("/pulumirpc.Analyzer/Configure") ?? server.handlers?.get("/pulumirpc.Analyzer/configure");
    assert.ok(handler, "grpc-js keeps handlers by path");
    const request = (entries: [string, { level: number; props: object }][]) => ({
      getPolicyconfigMap: () =>
        new Map(
          entries.map(([name, e]) => [
            name,
            { getEnforcementlevel: () => e.level, getProperties: () => ({ toJavaScript: () => e.props }) },
          ]),
        ),
    });
    const call = (entries: [string, { level: number; props: object }][]) =>
      new Promise<unknown>((resolve) => handler.func({ request: request(entries) }, (error: unknown) => resolve(error)));
    assert.equal(await call([["certificate-validity", { level: 1, props: { expiryWarningDays: 30 } }]]), null);
    assert.deepEqual(checked, { "certificate-validity": { expiryWarningDays: 30, enforcementLevel: "mandatory" } });
    assert.equal(configured, 1);
    const refused = (await call([["bad", { level: 0, props: {} }]])) as Error;
    assert.equal(refused.message, "refused: bad");
    assert.equal(refused.stack, "refused: bad");
    assert.equal(configured, 1, "a refused config never reaches the policies");
  });
});

describe("the pack gates both layouts of the connectors", () => {
  const inbound = (type: string, tenant: string) => ({
    type,
    name: `${tenant.split(".")[0]}-inbound`,
    urn: `urn:pulumi:s::p::${type}::${tenant}`,
    props: {
      name: `Inbound from on-premises (${tenant})`,
      tenant,
      acceptedDomains: ["relay.contoso.com"],
      connectorType: "OnPremises",
      tlsSenderCertificateName: "relay.contoso.com",
      senderDomains: ["*"],
    },
  });
  const shared = (type: string) => {
    const policy = buildPolicies().find((p) => p.name === "certificate-not-shared-across-tenants") as StackValidationPolicy;
    const messages: string[] = [];
    policy.validateStack(
      {
        resources: [inbound(type, "contoso.onmicrosoft.com"), inbound(type, "fabrikam.onmicrosoft.com")],
        getConfig: () => ({}),
      } as unknown as StackValidationArgs,
      (message) => messages.push(message),
    );
    return messages;
  };

  for (const type of [INBOUND_CONNECTOR_TYPE, LEGACY_INBOUND_CONNECTOR_TYPE]) {
    it(`blocks a certificate name two tenants share, declared as ${type}`, () => {
      assert.match(
        shared(type).join("\n"),
        /Certificate name "relay\.contoso\.com" is used for 2 tenants: "contoso\.onmicrosoft\.com", "fabrikam\.onmicrosoft\.com"/,
      );
    });
  }

  it("reads no other resource type", () => {
    assert.deepEqual(shared("aws:s3/bucket:Bucket"), []);
  });
});
