// How the CLI lists: one page by default (so a listing never pulls a whole table by accident),
// every page with --all. When a first page left some out, one line on stderr says so and how to
// see the rest, so stdout stays the listing (or its JSON) alone.

import type { CliIo } from './io.js';

/** Page size of a listing: the server's maximum. */
export const CLI_PAGE_SIZE = 1000;

export interface Paged<T> {
  items: T[];
  next?: string;
}

/** The first page, or with `all` every page (following `next`); `more` when items were left out. */
export async function readPages<T>(
  all: boolean,
  page: (after: string | undefined) => Promise<Paged<T>>,
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let after: string | undefined;
  do {
    const p = await page(after);
    items.push(...p.items);
    after = p.next;
  } while (all && after);
  return { items, more: after !== undefined };
}

export function moreHint(io: CliIo, shown: number, what: string): void {
  io.err(`note: showing the first ${shown} ${what}; more may follow (pass --all to list every one)`);
}
