import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { z } from "zod";
import { CLOUD_NAMES } from "../../../policy/src/engine/clouds";
import type { AddOnServiceRelayArgsSchema } from "../../../components/add-on-service-relay";
import type { HybridOrganizationArgsSchema } from "../../../components/hybrid-organization";
import type { TenantConnectorPairArgsSchema } from "../../../components/tenant-connector-pair";
import type { AddOnServiceRelayArgs, CloudName, HybridOrganizationArgs, TenantConnectorPairArgs } from "../../../components/types";

/**
 * The public argument types are written out by hand (components/types.ts) so that no zod type
 * reaches a user's compiler. These checks fail to compile when a schema and its type drift apart,
 * in either direction: a field the schema accepts that the type lacks, or the reverse.
 */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const pair: Mutual<z.input<typeof TenantConnectorPairArgsSchema>, TenantConnectorPairArgs> = true;
const organization: Mutual<z.input<typeof HybridOrganizationArgsSchema>, HybridOrganizationArgs> = true;
const relay: Mutual<z.input<typeof AddOnServiceRelayArgsSchema>, AddOnServiceRelayArgs> = true;
const cloud: Mutual<(typeof CLOUD_NAMES)[number], CloudName> = true;

describe("public argument types", () => {
  it("match the schemas that validate them (checked by the compiler)", () => {
    assert.deepEqual([pair, organization, relay, cloud], [true, true, true, true]);
  });

  it("name every cloud of the engine's table", () => {
    const names: readonly CloudName[] = CLOUD_NAMES;
    assert.deepEqual([...names].sort(), ["O365China", "O365Default", "O365USGovDoD", "O365USGovGCCHigh"]);
  });
});
