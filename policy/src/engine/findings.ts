import type { ResourceRef } from "./model";

export type Severity = "mandatory" | "advisory";

/** One defect: which rule, how bad, where, what exactly (values quoted) and the fix. */
export interface Finding {
  /** Stable kebab-case rule id; also the policy name in the pack. */
  readonly ruleId: string;
  readonly severity: Severity;
  readonly resource: ResourceRef;
  /** The tenant the finding is about, where there is one. */
  readonly tenant?: string;
  /** Every tenant a finding between tenants involves (a shared certificate or IP is a defect of each). */
  readonly tenants?: readonly string[];
  /** A sentence quoting the offending values. */
  readonly message: string;
  /** The exact cmdlet or component argument to change. */
  readonly remediation: string;
  /** Other resources involved (the other tenant's connector, the shared certificate...). */
  readonly related?: readonly ResourceRef[];
}

/** The text a person reads: the message, then the fix. */
export function describe(finding: Finding): string {
  return `${finding.message} Fix: ${finding.remediation}`;
}
