/**
 * Plays a person's browser for the web sign-in, with fetch: a cookie jar
 * (host-wide, as browsers scope cookies, ignoring ports), manual redirects,
 * and oidc-provider's development login and consent pages filled from each
 * page's first form (its own inputs plus `login`), as a browser submits them.
 */
export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

export class Browser {
  readonly jar = new Map<string, string>();
  /** Every Set-Cookie header seen, as sent (to check the cookie's flags). */
  readonly setCookies: string[] = [];

  constructor(
    /** The IdP's origin: forms on its pages are filled in and posted. */
    readonly idpOrigin: string,
    readonly login: string,
  ) {}

  /** One request, no redirect following; cookies in and out. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size > 0) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      this.setCookies.push(c);
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0\b/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  /**
   * Follows redirects from `url`, signing in at the IdP on the way, until a
   * page that is not the IdP's (returned), or a URL `stopAt` accepts (returned
   * unfetched, status 0).
   */
  async open(url: string, opts: { stopAt?: (u: URL) => boolean; method?: 'GET' | 'POST'; form?: Record<string, string> } = {}): Promise<Page> {
    let init: RequestInit =
      opts.method === 'POST' ? { method: 'POST', body: new URLSearchParams(opts.form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } } : { method: 'GET' };
    for (let step = 0; step < 30; step++) {
      if (step > 0 && opts.stopAt?.(new URL(url))) return { url, status: 0, html: '', headers: new Headers() };
      const res = await this.request(url, init);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).href;
        init = { method: 'GET' };
        continue;
      }
      const html = await res.text();
      if (new URL(url).origin !== this.idpOrigin) return { url, status: res.status, html, headers: res.headers };
      if (res.status !== 200) throw new Error(`IdP page ${url} answered ${res.status}: ${html.slice(0, 300)}`);
      const form = /<form[^>]*>[\s\S]*?<\/form>/.exec(html);
      if (!form) throw new Error(`no form on IdP page ${url}: ${html.slice(0, 300)}`);
      const action = /action="([^"]*)"/.exec(form[0])?.[1] ?? url;
      const body = new URLSearchParams();
      for (const input of form[0].matchAll(/<input([^>]*)>/g)) {
        const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
        if (name === undefined) continue;
        const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
        body.set(name, name === 'login' ? this.login : name === 'password' ? 'any-password' : value);
      }
      url = new URL(action.replaceAll('&amp;', '&'), url).href;
      init = { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
    throw new Error(`no page reached in 30 steps from ${url}`);
  }
}

/** The value of a named hidden input on a page. */
export function hiddenValue(html: string, name: string): string | undefined {
  return new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html)?.[1];
}
