import type { EngineConfig } from "./config";
import type { Finding, Severity } from "./findings";
import type { InventoryIndex } from "./inventory-index";
import type { Inventory } from "./model";

/** What a rule emits; the engine fills in the rule id and applies the configured severity. */
export type Draft = Omit<Finding, "ruleId" | "severity"> & { readonly severity?: Severity };

export interface RuleContext {
  readonly inventory: Inventory;
  readonly index: InventoryIndex;
  readonly config: EngineConfig;
}

/** A rule is data about itself plus one pure function from the inventory to findings. */
export interface Rule {
  /** Stable kebab-case id, also the policy name in the pack. */
  readonly id: string;
  /** "Checks that ..." — shown in `pulumi preview` and docs/policies.md. */
  readonly description: string;
  /** Severity when the config does not override it ("mixed" rules set it per finding). */
  readonly defaultSeverity: Severity;
  /** Where the requirement comes from (message center post, cmdlet docs). */
  readonly source: string;
  /**
   * "connector": decided from one connector and its tenant alone (a resource policy in the pack);
   * "inventory": needs several connectors, tenants or the org-wide table (a stack policy).
   */
  readonly scope: "connector" | "inventory";
  /**
   * For rules whose findings can be advisory while the rule is mandatory (an expiring versus an
   * expired certificate): what the advisory findings check. The pack reports them under a
   * companion policy "<id>-advisory", since a policy has one enforcement level.
   */
  readonly advisoryPart?: string;
  /** The EngineConfig keys this rule reads; the pack offers exactly these as policy config. */
  readonly configKeys?: readonly ("expiryWarningDays" | "knownSharedRanges" | "orgAssignments")[];
  check(context: RuleContext): Iterable<Draft>;
}
