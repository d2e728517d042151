// A browser's part in HTTP-level tests of server-rendered pages: a cookie jar, redirects
// followed for GETs, and same-origin form posts (Origin and Sec-Fetch-Site as a browser sends).

/** A browser's cookie jar and its same-origin form posts, one per person. */
export class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly origin: string) {}

  async open(
    url: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: string; location?: string; res: Response }> {
    const headers = new Headers(init.headers);
    const jar = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (jar) headers.set('cookie', jar);
    const res = await fetch(new URL(url, this.origin), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const [name = '', ...value] = pair.split('=');
      if (attrs.some((attr) => attr.trim() === 'Max-Age=0')) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.join('='));
    }
    const location = res.headers.get('location') ?? undefined;
    return { status: res.status, body: await res.text(), res, ...(location ? { location } : {}) };
  }

  /** Follows redirects like a browser does for GETs. */
  async get(url: string) {
    let page = await this.open(url);
    for (let hops = 0; page.location && hops < 5; hops++) page = await this.open(page.location);
    return page;
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.open(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.origin,
        'sec-fetch-site': 'same-origin',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  has(cookie: string): boolean {
    return this.cookies.has(cookie);
  }
}

export interface OpenedPage {
  status: number;
  body: string;
  location?: string;
  res: Response;
}

/** The first form's CSRF token and action on a page. */
export const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
export const actionOf = (body: string) => /<form method="post" action="([^"]+)"/.exec(body)?.[1] ?? '';
