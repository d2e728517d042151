// Whether the cluster lets the plugin's identity author reviews for other users ("as the
// person": the cluster then checks that person's own review rights and thresholds count them),
// or only as itself ("as the plugin": the person is named in the reason and an annotation, and
// the cluster checks nothing about them). Asked once, without side effects: a review for a
// request that cannot exist, authored by someone else. A cluster that refuses authoring for
// others says PERMISSION_DENIED before it looks the request up; one that allows it says
// NOT_FOUND (no such request).

import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { AccessbotError } from '../../../errors.js';
import { fromGrpc, grpcStatusOf } from './grpc-errors.js';

export type ReviewMode = 'person' | 'plugin';
export type ReviewModeSetting = ReviewMode | 'auto';

/** The author of the probe: a name no cluster gives its plugin. */
export const PROBE_AUTHOR = 'accessbot-review-probe';

export async function probeReviewMode(
  submit: (submission: unknown) => Promise<unknown>,
): Promise<ReviewMode> {
  try {
    await submit({
      RequestID: randomUUID(),
      Review: { Author: PROBE_AUTHOR, ProposedState: 'DENIED', Reason: 'accessbot capability probe' },
    });
  } catch (err) {
    const code = grpcStatusOf(err);
    if (code === status.NOT_FOUND) return 'person';
    if (code === status.PERMISSION_DENIED) return 'plugin';
    throw fromGrpc(err, 'asking whether reviews may be authored for others');
  }
  throw new AccessbotError('INTERNAL', 'Teleport accepted a review of a request that cannot exist');
}
