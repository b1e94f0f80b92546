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
    assert.equal(parsed.exchangeOnlineEndpoint, "https://outlook.office365.com");
    assert.deepEqual(parsed.addOnRelays, []);
  });

  it("names the key and the path of a certificate file that cannot be read", () => {
    assert.throws(() => readCertificateFile("certs/missing.pem", "tenants[0].certificateFile", "/project"), {
      message:
        'mailflow-guard:tenants[0].certificateFile: cannot read certificate file "certs/missing.pem" (looked at /project/certs/missing.pem). Export the public certificate as PEM to that path.',
    });
  });
});
