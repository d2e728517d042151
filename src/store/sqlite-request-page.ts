// The SQL of one page of requests. The position is the rowid: requests are never re-inserted
// (updates keep it), so a request's position never changes and paging by it sees each request
// at most once. Each filter has an index whose columns are exactly the filter (rowid implied
// after them), named with INDEXED BY so the page is always one range read in rowid order, never
// a read and sort of every matching row: a full walk is O(n), not O(n²). A missing index makes
// the statement fail loudly instead of silently scanning.

import type { RequestPageQuery } from './types.js';

export function requestPageSql(query: RequestPageQuery): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  let index = '';
  if (query.user !== undefined) {
    where.push('user = ?');
    params.push(query.user);
  }
  if (query.state !== undefined) {
    where.push('state = ?');
    params.push(query.state);
  }
  if (query.user !== undefined && query.state !== undefined) index = 'INDEXED BY requests_user_state';
  else if (query.user !== undefined) index = 'INDEXED BY requests_user';
  else if (query.state !== undefined) index = 'INDEXED BY requests_state';
  where.push('rowid > ?');
  params.push(query.after, query.limit);
  const sql = `SELECT rowid AS position, doc FROM requests ${index} WHERE ${where.join(' AND ')} ORDER BY rowid LIMIT ?`;
  return { sql, params };
}
