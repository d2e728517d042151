// Exit codes of the accessbot command, so scripts can tell a typo from a refusal from an outage.
//   0  success (for `request create` without --nowait: the request was approved)
//   1  usage or input error: bad flags, malformed input, invalid config (nothing was changed)
//   2  the API refused: not authenticated, not allowed, not found, conflicting state
//   3  the API (or, for serve/host/deliveries, Redis) could not be reached
//   4  `request create` waited and the request was denied or expired
//   5  the machine refused: a file or folder cannot be created or written, or the disk is full
export const EXIT = {
  OK: 0,
  INPUT: 1,
  REFUSED: 2,
  UNREACHABLE: 3,
  NOT_APPROVED: 4,
  ENVIRONMENT: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
