/** A command line that cannot be run as given: exit code 2, the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
