import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { InboundConnector, SendConnector } from "../../components";
import { exchangeTlsCertificateName, parseCertificatePem } from "../../policy/src/engine/x509";

/**
 * Connectors written by hand as custom resources, as a team without the components would: the
 * policy pack is the only gate. The scenario file (config `scenario`) lists the resources; a value
 * {"$computed": "x"} becomes an output of another resource, unknown during preview.
 */
interface ScenarioResource {
  kind: "InboundConnector" | "SendConnector";
  name: string;
  props: Record<string, unknown>;
}

const config = new pulumi.Config();
const root = resolve(__dirname, "..", "..", "..");
const scenarioFile = resolve(root, config.require("scenario"));

/** A scenario is either a full list of resources, or the base scenario with one thing changed. */
interface Scenario {
  resources?: ScenarioResource[];
  /** Per resource name: props to set (null removes a prop). */
  change?: Record<string, Record<string, unknown>>;
  add?: ScenarioResource[];
  remove?: string[];
}

function load(file: string): ScenarioResource[] {
  const scenario = JSON.parse(readFileSync(file, "utf8")) as Scenario;
  const resources = scenario.resources ?? load(resolve(dirname(file), "base.json"));
  const kept = resources.filter((resource) => !scenario.remove?.includes(resource.name));
  const changed = kept.map((resource) => {
    const change = scenario.change?.[resource.name];
    if (!change) return resource;
    const props = { ...resource.props, ...change };
    for (const [key, value] of Object.entries(change)) if (value === null) delete props[key];
    return { ...resource, props };
  });
  return [...changed, ...(scenario.add ?? [])];
}
const scenario = { resources: load(scenarioFile) };
const connection = pulumi.secret({ endpoint: config.get("exchangeOnlineEndpoint") ?? "http://127.0.0.1:9", token: "scenario-token" });

/** A value only known once another resource exists (the case the gate must not let through). */
class Computed extends pulumi.dynamic.Resource {
  declare readonly value: pulumi.Output<string>;
  constructor(name: string, value: string) {
    // `value` is an output only, so Pulumi cannot know it until the resource exists.
    super(
      { create: async (inputs: { source: string }) => ({ id: name, outs: { source: inputs.source, value: inputs.source } }) },
      name,
      { source: value, value: undefined },
      {},
      "mailflow-example",
      "Computed",
    );
  }
}

function resolveProps(props: Record<string, unknown>): Record<string, pulumi.Input<unknown>> {
  const out: Record<string, pulumi.Input<unknown>> = {};
  for (const [key, value] of Object.entries(props)) {
    if (value && typeof value === "object" && "$computed" in value) {
      out[key] = new Computed(`computed-${key}`, String((value as { $computed: unknown }).$computed)).value;
    } else if (key === "certificateFile") {
      const pem = readFileSync(resolve(root, String(value)), "utf8");
      out.certificatePem = pem;
      // What Exchange would show for this certificate, unless the scenario says otherwise.
      if (props.tlsCertificateName === undefined)
        out.tlsCertificateName = exchangeTlsCertificateName(parseCertificatePem(pem, "certificateFile"));
    } else {
      out[key] = value;
    }
  }
  return out;
}

const defaults = { owner: `${pulumi.getProject()}/${pulumi.getStack()}` };
for (const resource of scenario.resources) {
  const props = { ...defaults, ...resolveProps(resource.props) };
  if (resource.kind === "InboundConnector") {
    // biome-ignore lint/suspicious/noExplicitAny: scenario files are free-form on purpose
    new InboundConnector(resource.name, { ...(props as any), connection });
  } else {
    // biome-ignore lint/suspicious/noExplicitAny: as above
    new SendConnector(resource.name, { shell: [], shellEnv: {}, ...(props as any) });
  }
}
