import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { INBOUND_CONNECTOR_TYPE, SEND_CONNECTOR_TYPE } from "../policy/src/sources/pulumi";
import { PACKAGE_VERSION } from "../components/package-version";
import { type ConnectorHandler, inboundConnector, sendConnector } from "./connectors";
import { construct } from "./construct";
import { packageSchema } from "./schema";
import { typeFromUrn } from "./secrets";

/**
 * The `mailflow` provider: routes each call by type token to the resource's module, and
 * `construct` to the components. It adapts; the components and the implementations decide.
 */
export class MailflowProvider implements provider.Provider {
  readonly version = PACKAGE_VERSION;
  readonly schema = JSON.stringify(packageSchema(PACKAGE_VERSION));

  private handler(urn: string): ConnectorHandler {
    const type = typeFromUrn(urn);
    if (type === INBOUND_CONNECTOR_TYPE) return inboundConnector;
    if (type === SEND_CONNECTOR_TYPE) return sendConnector;
    throw new Error(`unknown resource type ${type}: the mailflow plugin serves ${INBOUND_CONNECTOR_TYPE} and ${SEND_CONNECTOR_TYPE}`);
  }

  check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.CheckResult> {
    return this.handler(urn).check(urn, olds, news);
  }

  diff(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.DiffResult> {
    return this.handler(urn).diff(id, olds, news);
  }

  create(urn: string, inputs: Record<string, unknown>): Promise<provider.CreateResult> {
    return this.handler(urn).create(inputs);
  }

  read(id: string, urn: string, props?: Record<string, unknown>): Promise<provider.ReadResult> {
    return this.handler(urn).read(id, props ?? {});
  }

  update(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.UpdateResult> {
    return this.handler(urn).update(id, olds, news);
  }

  delete(id: string, urn: string, props: Record<string, unknown>): Promise<void> {
    return this.handler(urn).delete(id, props);
  }

  construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    return construct(name, type, inputs, options);
  }
}
