import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseProgramConfig, readCertificateFile } from "../../../program/config";

const tenant = (name: string, certificateName: unknown) => ({
  name,
  acceptedDomains: [`relay.${name}`],
  certificateFile: "examples/certs/contoso-relay.pem",
  certificateName,
});

describe("root project stack config", () => {
  it("names the config path of each problem", () => {
    assert.throws(
      () =>
        parseProgramConfig(
          { sourceTransportServers: ["EX01"], tenants: [tenant("a.onmicrosoft.com", "relay.a.com"), tenant("b.onmicrosoft.com", 42)] },
          "Pulumi.dev.yaml",
        ),
      {
        message:
          "Invalid stack configuration in Pulumi.dev.yaml:\n  - mailflow-guard:tenants[1].certificateName: Invalid input: expected string, received number",
      },
    );
    assert.throws(() => parseProgramConfig({ tenants: [] }, "Pulumi.dev.yaml"), {
      message:
        "Invalid stack configuration in Pulumi.dev.yaml:\n  - mailflow-guard:sourceTransportServers: Invalid input: expected array, received undefined\n  - mailflow-guard:tenants: Too small: expected array to have >=1 items",
    });
  });

  it("accepts the shipped demo stack", () => {
    const parsed = parseProgramConfig(
      { sourceTransportServers: ["EX01"], tenants: [tenant("a.onmicrosoft.com", "relay.a.com")] },
      "Pulumi.demo.yaml",
    );
    // No endpoint: the components take the cloud's admin endpoint from the engine's cloud table.
    assert.equal(parsed.exchangeOnlineEndpoint, undefined);
    assert.equal(parsed.cloud, "O365Default");
    assert.deepEqual(parsed.addOnRelays, []);
  });

  it("takes the tenants' cloud by its Connect-ExchangeOnline name and refuses others", () => {
    const base = { sourceTransportServers: ["EX01"], tenants: [tenant("a.onmicrosoft.us", "relay.a.com")] };
    assert.equal(parseProgramConfig({ ...base, cloud: "O365USGovGCCHigh" }, "Pulumi.gov.yaml").cloud, "O365USGovGCCHigh");
    assert.throws(() => parseProgramConfig({ ...base, cloud: "O365Germany" }, "Pulumi.gov.yaml"), {
      message:
        'Invalid stack configuration in Pulumi.gov.yaml:\n  - mailflow-guard:cloud: Invalid option: expected one of "O365Default"|"O365USGovGCCHigh"|"O365USGovDoD"|"O365China"',
    });
  });

  it("names the key and the path of a certificate file that cannot be read", () => {
    assert.throws(() => readCertificateFile("certs/missing.pem", "tenants[0].certificateFile", "/project"), {
      message:
        'mailflow-guard:tenants[0].certificateFile: cannot read certificate file "certs/missing.pem" (looked at /project/certs/missing.pem). Export the public certificate as PEM to that path.',
    });
  });
});
