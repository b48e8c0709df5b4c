/**
 * Plays the person's browser in the device flow against oidc-provider's pages:
 * open the verification URL, type the user code, log in, consent, confirm.
 * A cookie jar and manual redirects; each page's first POST form is filled
 * from its own hidden inputs plus `fields`, as a browser would submit it.
 */
export async function confirmDeviceCode(verificationUri: string, fields: { user_code: string; login: string; password?: string }): Promise<string> {
  const jar = new Map<string, string>();
  let url = verificationUri;
  let init: RequestInit = { method: 'GET' };
  for (let step = 0; step < 30; step++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string> | undefined), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).href;
      init = { method: 'GET' };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`IdP page ${url} answered ${res.status}: ${html.slice(0, 300)}`);
    if (/Sign-in Success/.test(html)) return html;
    const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html) ?? /<form[^>]*>([\s\S]*?)<\/form>/.exec(html);
    if (!form) throw new Error(`no form and no success on ${url}: ${html.slice(0, 300)}`);
    const action = /action="([^"]*)"/.exec(form[0])?.[1] ?? url;
    const body = new URLSearchParams();
    for (const input of form[0].matchAll(/<input([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
      if (name === undefined) continue;
      const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
      const given = name in fields ? (fields as Record<string, string | undefined>)[name] : undefined;
      body.set(name, given ?? (name === 'password' ? 'any-password' : value));
    }
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    init = { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('device confirmation did not finish in 30 steps');
}
