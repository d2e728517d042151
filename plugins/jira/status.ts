// How request states and Jira statuses map onto each other, by the configured status names.

import type { RequestState } from '../../src/plugin-sdk/index.js';
import type { StatusNames } from './render.js';

export function statusForState(statuses: StatusNames, state: RequestState): string {
  switch (state) {
    case 'PENDING':
      return statuses.pending;
    case 'APPROVED':
      return statuses.approved;
    case 'DENIED':
      return statuses.denied;
    case 'EXPIRED':
      return statuses.expired;
  }
}

/** The decision a move to `statusName` means, or null for a status that decides nothing. */
export function actionForStatus(statuses: StatusNames, statusName: string): 'approve' | 'deny' | null {
  const name = statusName.toLowerCase();
  if (name === statuses.approved.toLowerCase()) return 'approve';
  if (name === statuses.denied.toLowerCase()) return 'deny';
  return null;
}

export function sameStatus(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
