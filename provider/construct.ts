import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { AddOnServiceRelay } from "../components/add-on-service-relay";
import { HybridOrganization } from "../components/hybrid-organization";
import { TenantConnectorPair } from "../components/tenant-connector-pair";
import { isSecretWrapper } from "./secrets";

/**
 * Components for programs in other languages than TypeScript (Pulumi YAML first): the engine asks
 * the plugin to construct them, and the plugin runs the very same component classes a TypeScript
 * program runs, with the same argument names, checks and errors.
 */

/** Where credentials may be: only these stay secret Outputs; everything else is checked as a plain value. */
function isCredentialPath(path: readonly (string | number)[]): boolean {
  return path.includes("exchangeOnline") || path.includes("shellEnv");
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}

export class ConstructInputError extends Error {
  override readonly name = "ConstructInputError";
}

/**
 * The component's arguments as a TypeScript program would write them: known values plain, so the
 * components can check them at preview; secrets and values not known yet only where credentials
 * go (exchangeOnline, shellEnv), as Outputs. An unknown security-relevant value is refused: the
 * gate must not pass what it cannot read.
 */
export async function plainArgs(value: unknown, component: string, path: (string | number)[] = []): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown> & { isKnown: Promise<boolean>; promise(): Promise<unknown> };
    if (isCredentialPath(path)) return value;
    const known = await output.isKnown;
    if (!known) {
      throw new ConstructInputError(
        `${component}: '${pathText(path)}' is not known until the update runs, but the component needs it as a plain value at preview so the policy gate can check it; give it as a literal or from config.`,
      );
    }
    return plainArgs(await output.promise(), component, path);
  }
  if (isSecretWrapper(value)) {
    const inner = await plainArgs(value.value, component, path);
    return isCredentialPath(path) ? pulumi.secret(inner) : inner;
  }
  if (Array.isArray(value)) return Promise.all(value.map((item, i) => plainArgs(item, component, [...path, i])));
  if (value !== null && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value as Record<string, unknown>).map(
        async ([key, item]) => [key, await plainArgs(item, component, [...path, key])] as const,
      ),
    );
    return Object.fromEntries(entries.filter(([, item]) => item !== undefined));
  }
  return value;
}

export async function construct(
  name: string,
  type: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
  const component = type.split(":").at(-1) ?? type;
  // biome-ignore lint/suspicious/noExplicitAny: each component parses its own arguments with its schema
  const args = (await plainArgs(inputs, `${component} "${name}"`)) as any;
  switch (type) {
    case "mailflow:exchange:TenantConnectorPair": {
      const pair = new TenantConnectorPair(name, args, options);
      return {
        urn: pair.urn,
        state: {
          inboundConnectorIdentity: pair.inboundConnector.identity,
          sendConnectorIdentity: pair.sendConnector.identity,
          certificateThumbprint: pair.certificateThumbprint,
        },
      };
    }
    case "mailflow:exchange:HybridOrganization": {
      const organization = new HybridOrganization(name, args, options);
      return {
        urn: organization.urn,
        state: {
          tenants: organization.pairs.map((pair, i) => ({
            tenant: args.tenants?.[i]?.tenant?.name,
            inboundConnectorIdentity: pair.inboundConnector.identity,
            sendConnectorIdentity: pair.sendConnector.identity,
            certificateThumbprint: pair.certificateThumbprint,
          })),
        },
      };
    }
    case "mailflow:exchange:AddOnServiceRelay": {
      const relay = new AddOnServiceRelay(name, args, options);
      return {
        urn: relay.urn,
        state: { inboundConnectorIdentity: relay.inboundConnector.identity, certificateThumbprint: relay.certificateThumbprint },
      };
    }
    default:
      throw new ConstructInputError(
        `unknown component type ${type}: this plugin constructs TenantConnectorPair, HybridOrganization and AddOnServiceRelay`,
      );
  }
}
