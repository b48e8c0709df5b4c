/**
 * The few server-rendered pages (review decisions, sign-in results): plain
 * HTML, no scripts, every value escaped here. A page is a string; the route
 * sends it with `sendPage`, which also forbids framing and caching.
 */
import type { FastifyReply } from 'fastify';

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or an attribute value, safe inside HTML. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => entities[c]!);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Warden</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
pre{background:#f4f4f4;padding:.75rem;white-space:pre-wrap;word-break:break-word}dt{font-weight:600}dd{margin:0 0 .5rem}
form{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}textarea{width:20rem;display:block}</style>
</head><body><h1>${esc(title)}</h1>
${body}
</body></html>`;
}

/** Sends a page: no caching (it may show a statement), no framing (clickjacking of the Approve button). */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .send(html);
}

/** A page that only says what went wrong and what to do next. */
export function messagePage(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return sendPage(reply, status, page(title, `<p>${esc(message)}</p>`));
}
