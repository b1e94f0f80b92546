/**
 * The mark mailflow-guard writes into a connector's Comment (New-/Set-InboundConnector,
 * New-/Set-SendConnector -Comment): which Pulumi project and stack manage it. The providers write
 * it and check it before a delete; the readers turn it back into `managedBy`, so a plan knows which
 * connectors a stack already manages (and must not import again).
 */
export function managedComment(owner: string): string {
  return `Managed by mailflow-guard for ${owner}. Changes made here are reverted by the next pulumi up.`;
}

const MARK = /^Managed by mailflow-guard for (\S+)\. /;

/** The `<project>/<stack>` a Comment names as the connector's manager, or undefined. */
export function managedByFromComment(comment: unknown): string | undefined {
  return typeof comment === "string" ? MARK.exec(comment)?.[1] : undefined;
}
