import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nearest, PackConfigError, parsePackConfig, resolveConfig } from "../../../policy/src/engine";

const README_CONFIG = {
  "certificate-auth-preferred": "mandatory",
  "security-values-known": "advisory",
  "certificate-validity": { expiryWarningDays: 30 },
  "sender-ip-not-shared": { knownSharedRanges: ["198.51.100.0/24"] },
  "certificate-not-shared-across-tenants": { orgAssignments: { version: 1, tenants: {} } },
};

describe("policy-pack config, read by the engine for the pack and for audit --config", () => {
  it("reads the README's config: every setting under its policy, every level by policy name", () => {
    assert.deepEqual(parsePackConfig(README_CONFIG, "policy-config.json"), {
      expiryWarningDays: 30,
      knownSharedRanges: ["198.51.100.0/24"],
      orgAssignments: { version: 1, tenants: {} },
      severity: { "certificate-auth-preferred": "mandatory", "security-values-known": "advisory" },
    });
    assert.doesNotThrow(() => resolveConfig(parsePackConfig(README_CONFIG, "policy-config.json")));
  });

  it("takes enforcementLevel inside an object, and lets a policy's own level win over all", () => {
    const config = parsePackConfig(
      { "certificate-validity": { enforcementLevel: "advisory", expiryWarningDays: 10 }, all: "disabled" },
      "c.json",
    );
    assert.equal(config.severity?.["certificate-validity"], "advisory");
    assert.equal(config.severity?.["send-connector-tls"], "disabled");
    assert.equal(config.expiryWarningDays, 10);
  });

  it("refuses a mistyped setting, naming the policy, the key and the nearest valid one", () => {
    assert.throws(() => parsePackConfig({ "certificate-validity": { expiryWarningDayz: 30 } }, "okpack.json"), {
      name: "PackConfigError",
      message:
        'okpack.json: "certificate-validity" has no setting "expiryWarningDayz". Did you mean "expiryWarningDays"? Its settings are: expiryWarningDays, enforcementLevel.',
    });
  });

  it("refuses a setting given to the wrong policy and says whose it is", () => {
    assert.throws(() => parsePackConfig({ "certificate-validity-advisory": { expiryWarningDays: 30 } }, "c.json"), {
      message:
        'c.json: "certificate-validity-advisory" has no setting "expiryWarningDays". "expiryWarningDays" is a setting of "certificate-validity". It takes only enforcementLevel.',
    });
  });

  it("refuses a mistyped policy name with the nearest policy", () => {
    assert.throws(
      () => parsePackConfig({ "certificate-validty": { expiryWarningDays: 30 } }, "c.json"),
      (error: Error) => {
        assert.ok(error instanceof PackConfigError);
        assert.match(
          error.message,
          /^c\.json: "certificate-validty" is not a policy of the mailflow-guard pack\. Did you mean "certificate-validity"\? The policies are: security-values-known, /,
        );
        return true;
      },
    );
  });

  it("points an engine setting written at the top level to the policy that takes it", () => {
    assert.throws(() => parsePackConfig({ expiryWarningDays: 30 }, "c.json"), {
      message:
        /^c\.json: "expiryWarningDays" is not a policy of the mailflow-guard pack\. "expiryWarningDays" is a setting of "certificate-validity": write \{"certificate-validity": \{"expiryWarningDays": …\}\}\./,
    });
  });

  it("refuses an enforcement level that is not one, and two different org-wide tables", () => {
    assert.throws(() => parsePackConfig({ "certificate-validity": "warn" }, "c.json"), {
      message: 'c.json: "certificate-validity" "warn" is not an enforcement level. Use one of: mandatory, advisory, disabled.',
    });
    assert.throws(
      () =>
        parsePackConfig(
          {
            "certificate-not-shared-across-tenants": { orgAssignments: { version: 1, tenants: {} } },
            "sender-ip-not-shared": { orgAssignments: { version: 1, tenants: { "a.onmicrosoft.com": {} } } },
          },
          "c.json",
        ),
      { message: /^c\.json: "sender-ip-not-shared"\.orgAssignments differs from the orgAssignments given to another policy\./ },
    );
    assert.throws(() => parsePackConfig([], "c.json"), { message: /^c\.json: must be a JSON object with one key per policy/ });
  });

  it("suggests only near misses", () => {
    assert.equal(nearest("expiryWarningDayz", ["expiryWarningDays", "knownSharedRanges"]), "expiryWarningDays");
    assert.equal(nearest("colour", ["expiryWarningDays", "knownSharedRanges"]), undefined);
  });
});
