import * as pulumi from "@pulumi/pulumi";
import { AddOnServiceRelay, HybridOrganization } from "../components";
import { projectDirectory } from "../components/project-directory";
import { ConfigError, parseProgramConfig, readCertificateFile } from "./config";

/**
 * The declarative root project: everything comes from stack config (Pulumi.<stack>.yaml), the
 * Exchange Online token from the secret config value mailflow-guard:exchangeOnlineToken or the
 * MAILFLOW_GUARD_EXO_TOKEN environment variable.
 */
const config = new pulumi.Config("mailflow-guard");
const stackFile = `Pulumi.${pulumi.getStack()}.yaml`;
// Paths in stack config are relative to the project folder; the program runs from dist/program.
const projectDir = projectDirectory();

function main() {
  const settings = parseProgramConfig(
    {
      sourceTransportServers: config.getObject("sourceTransportServers"),
      tenants: config.getObject("tenants"),
      addOnRelays: config.getObject("addOnRelays"),
      cloud: config.get("cloud"),
      exchangeOnlineEndpoint: config.get("exchangeOnlineEndpoint"),
      onPremisesShell: config.getObject("onPremisesShell"),
    },
    stackFile,
  );
  // The token is a secret config value, or MAILFLOW_GUARD_EXO_TOKEN; either way it is a secret in state.
  const fromEnv = process.env.MAILFLOW_GUARD_EXO_TOKEN;
  const token = config.getSecret("exchangeOnlineToken") ?? (fromEnv ? pulumi.secret(fromEnv) : undefined);
  if (token === undefined) {
    throw new ConfigError(
      "mailflow-guard:exchangeOnlineToken is not set. Run 'pulumi config set --secret mailflow-guard:exchangeOnlineToken <token>' or set MAILFLOW_GUARD_EXO_TOKEN.",
    );
  }
  const exchangeOnline = { ...(settings.exchangeOnlineEndpoint ? { endpoint: settings.exchangeOnlineEndpoint } : {}), token };
  const onPremises = settings.onPremisesShell ? { shell: settings.onPremisesShell } : undefined;
  const organization = new HybridOrganization("hybrid", {
    sourceTransportServers: settings.sourceTransportServers,
    tenants: settings.tenants.map((tenant, i) => ({
      tenant: { name: tenant.name, acceptedDomains: tenant.acceptedDomains },
      certificate: { pem: readCertificateFile(tenant.certificateFile, `tenants[${i}].certificateFile`, projectDir) },
      certificateName: tenant.certificateName,
      ...(tenant.senderIPAddresses ? { senderIPAddresses: tenant.senderIPAddresses } : {}),
      ...(tenant.adopt ? { adopt: tenant.adopt } : {}),
    })),
    exchangeOnline,
    ...(onPremises ? { onPremises } : {}),
    cloud: settings.cloud,
  });
  const relays = settings.addOnRelays.map((relay, i) => {
    const tenant = settings.tenants.find((t) => t.name === relay.tenant);
    if (!tenant) throw new ConfigError(`mailflow-guard:addOnRelays[${i}].tenant: "${relay.tenant}" is not one of the configured tenants.`);
    return new AddOnServiceRelay(`relay-${relay.tenant.split(".")[0]}`, {
      tenant: { name: tenant.name, acceptedDomains: tenant.acceptedDomains },
      service: relay.service,
      certificate: { pem: readCertificateFile(relay.certificateFile, `addOnRelays[${i}].certificateFile`, projectDir) },
      certificateName: relay.certificateName,
      exchangeOnline,
      cloud: settings.cloud,
    });
  });
  return {
    tenants: organization.pairs.map((pair) => ({
      inbound: pair.inboundConnector.identity,
      send: pair.sendConnector.identity,
      certificate: pair.certificateThumbprint,
    })),
    addOnRelays: relays.map((relay) => relay.inboundConnector.identity),
  };
}

let outputs: ReturnType<typeof main> | undefined;
try {
  outputs = main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A configuration mistake is the user's to fix: say which key, without a stack trace.
  pulumi.log.error(error.message);
  process.exitCode = 1;
}
export const tenants = outputs?.tenants;
export const addOnRelays = outputs?.addOnRelays;
