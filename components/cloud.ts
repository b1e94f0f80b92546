import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CLOUD_NAMES, CLOUDS, type Cloud, type CloudName, cloudsOfTenant, DEFAULT_CLOUD } from "../policy/src/engine/clouds";
import { InputError } from "../policy/src/engine/errors";
import type { ExchangeOnlineArgs } from "./args";

/**
 * The `cloud` argument of every component: the Microsoft 365 cloud of the tenant, by the name
 * `Connect-ExchangeOnline -ExchangeEnvironmentName` takes. Every generated host (smart host,
 * TlsDomain, routing domain, admin endpoint, token authority) is read from policy/src/engine/clouds.ts.
 */
export const CloudArgSchema = z
  .enum(CLOUD_NAMES, {
    error: (issue) => `Invalid value for cloud: ${JSON.stringify(issue.input)}. Allowed values are: ${CLOUD_NAMES.join(", ")}.`,
  })
  .default(DEFAULT_CLOUD);

function names(clouds: readonly Cloud[]): string {
  return clouds.map((cloud) => cloud.name).join(" or ");
}

/**
 * The cloud, after checking that the tenant's initial domain belongs to it: contoso.onmicrosoft.us
 * with the default cloud would otherwise be given worldwide hosts it cannot use.
 */
export function tenantCloud(tenant: string, cloudName: CloudName, field = "tenant.name"): Cloud {
  const cloud = CLOUDS[cloudName];
  const owners = cloudsOfTenant(tenant);
  if (owners.length === 0 || owners.some((owner) => owner.name === cloud.name)) return cloud;
  const [first, ...others] = owners as [Cloud, ...Cloud[]];
  const set = `Set cloud: "${first.name}"${others.length > 0 ? ` (or ${others.map((o) => `"${o.name}"`).join(", ")})` : ""}`;
  throw new InputError(
    field,
    tenant,
    `is the initial domain of a tenant in ${names(owners)}, but 'cloud' is "${cloud.name}" (tenants ending in .${cloud.tenantSuffix}). ${set}, or give the tenant's initial domain in ${cloud.name}.`,
  );
}

/** The connection with the cloud's admin endpoint and token authority wherever the user gave none. */
export function withCloudDefaults(
  exchangeOnline: ExchangeOnlineArgs,
  cloud: Cloud,
  check?: (connection: Record<string, unknown>) => void,
): pulumi.Output<ExchangeOnlineArgs> {
  return pulumi.output(exchangeOnline).apply((connection) => {
    check?.(connection as Record<string, unknown>);
    const app = connection.app as (Record<string, unknown> & { authorityHost?: string }) | undefined;
    return {
      ...connection,
      endpoint: connection.endpoint ?? cloud.adminEndpoint,
      ...(app ? { app: { ...app, authorityHost: app.authorityHost ?? cloud.authorityHost } } : {}),
    } as ExchangeOnlineArgs;
  }) as pulumi.Output<ExchangeOnlineArgs>;
}
