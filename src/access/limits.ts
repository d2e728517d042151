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
 * The whole stored request (its JSON, reviews and role annotations included). Every write is
 * checked, so no event on the watch stream and no row of a page is larger than this. The room
 * above a maximum-size new request (~40 KiB) holds a dozen maximum-size reviews.
 */
export const MAX_REQUEST_BYTES = 128 * 1024;
