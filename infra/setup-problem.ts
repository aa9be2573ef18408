/**
 * A start that cannot go on because of how the machine is set up (a folder's mode, a missing user).
 * Its message names the cause and the fix in one line; a stack trace would only bury it.
 */
export class SetupProblem extends Error {
  override name = 'SetupProblem';
}
