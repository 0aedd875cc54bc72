/** A command line `load` cannot run; the message names the bad value and the fix. */
export class LoadUsageError extends Error {}

/** A run that cannot go on: no session could connect, a fault could not be applied. */
export class LoadError extends Error {}
