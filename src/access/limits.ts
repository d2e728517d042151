// Size limits of one access request, chosen so that every layer can carry the largest request
// the API accepts: a page of the listing, one event of the watch stream, a chat message or a
// ticket. The API's own page and stream limits (src/api/limits.ts) are derived from these.

/** A request, review or resolution reason (Teleport caps reasons the same way). */
export const MAX_REASON_BYTES = 4096;
/** Roles or resource IDs named by one request. */
export const MAX_REQUESTED_ITEMS = 256;
/** One role name or resource ID. */
export const MAX_ITEM_BYTES = 1024;
/** The requested roles or resource IDs of one request, together (UTF-8 bytes). */
export const MAX_REQUESTED_BYTES = 32 * 1024;
/** The annotations a review or a resolution carries (keys and values, UTF-8 bytes). */
export const MAX_REVIEW_ANNOTATION_BYTES = 8 * 1024;
/**
 * The whole stored request (its JSON, reviews and role annotations included): no event on the
 * watch stream and no row of a page is larger than this.
 */
export const MAX_REQUEST_BYTES = 128 * 1024;
/**
 * What a resolution or an expiry may add at most: a reason (4 KiB, up to 6× as JSON escapes),
 * annotations (8 KiB) and a few fields. Creates and reviews must leave this much room, so the
 * last change of any request still fits MAX_REQUEST_BYTES.
 */
export const RESOLUTION_ROOM_BYTES = 40 * 1024;
/**
 * A request still open to reviews: checked when it is created and after each review. A
 * maximum-size new request is ~40 KiB, which leaves room for several maximum-size reviews.
 */
export const MAX_OPEN_REQUEST_BYTES = MAX_REQUEST_BYTES - RESOLUTION_ROOM_BYTES;

/** REQUEST_TOO_LARGE details when `request` (as JSON) is past MAX_OPEN_REQUEST_BYTES. */
export function openRequestOverflow(json: string): { bytes: number; limit: number } | undefined {
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > MAX_OPEN_REQUEST_BYTES ? { bytes, limit: MAX_OPEN_REQUEST_BYTES } : undefined;
}
