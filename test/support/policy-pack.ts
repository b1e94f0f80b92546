/**
 * The `--policy-pack` argument and environment for a pack in `dir`: the folder itself, or — where
 * scripts/pulumi-env.sh chose the adapter for this environment's language host
 * (MAILFLOW_GUARD_POLICY_PACK other than `packFolder`, the repository's pack) — the adapter pointed at it.
 */
export function policyPackAt(dir: string, packFolder: string): { arg: string; env: NodeJS.ProcessEnv } {
  const chosen = process.env.MAILFLOW_GUARD_POLICY_PACK;
  return chosen === undefined || chosen === packFolder
    ? { arg: dir, env: {} }
    : { arg: chosen, env: { MAILFLOW_GUARD_POLICY_PACK_DIR: dir } };
}
