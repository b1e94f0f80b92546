import { managedComment } from "../../policy/src/engine/ownership";

/**
 * Who manages a connector, for both providers: the mark they write into its Comment, when a delete
 * may take it, when an adopted one still needs the mark, and which recorded keys are changes.
 */

/** The Comment that marks a connector as managed by `owner` (the engine's one format). */
export const comment = managedComment;

/** The inputs as state records them: `adopt` matters to create only, and 0.1.x's provider code goes. */
export function recorded<T extends { adopt?: boolean }>(inputs: T): Omit<T, "adopt"> {
  const { adopt: _adopt, ...rest } = inputs;
  delete (rest as { __provider?: unknown }).__provider;
  return rest;
}

/**
 * A connector a component adopted (imported) is marked as its stack's by the first update after the
 * import, even when nothing else changes: a later plan reads the mark to know that this stack
 * manages it. A connector imported with `pulumi import` alone keeps its Comment.
 */
export function unmarked(olds: { comment?: string }, news: { adopt?: boolean; owner?: string }): string[] {
  return news.adopt === true && news.owner !== undefined && olds.comment !== undefined && olds.comment !== comment(news.owner)
    ? ["comment"]
    : [];
}

/**
 * Delete takes a connector only while it is still the one this stack knows: its Comment is this
 * stack's mark, or (an imported connector) still the Comment it had when this stack last saw it.
 */
export function mayDelete(liveComment: unknown, props: { owner?: string; comment?: string }): boolean {
  const live = typeof liveComment === "string" ? liveComment : "";
  return (props.owner !== undefined && live === comment(props.owner)) || (props.comment !== undefined && live === props.comment);
}

/** Why delete refused, in the words of what changed. */
export function ownershipChanged(props: { owner?: string; comment?: string }): string {
  return props.owner !== undefined
    ? `is no longer marked as managed by ${props.owner} (its Comment changed)`
    : "has another Comment than when this stack imported it";
}

/**
 * Keys that record what the program said rather than what Exchange holds. A change of one of them
 * is an update that touches nothing in Exchange; one that the old state never had (an imported
 * connector: the import reads Exchange only) is no change, so an import that matches the program
 * previews clean. 0.1.x state, which carries its provider's code, is rewritten once.
 */
export function metadataChanges(olds: object, news: object, keys: readonly string[]): string[] {
  const old = olds as Record<string, unknown>;
  const next = news as Record<string, unknown>;
  const changed = keys.filter((key) => key in old && JSON.stringify(old[key] ?? null) !== JSON.stringify(next[key] ?? null));
  return "__provider" in old ? [...changed, "__provider"] : changed;
}
