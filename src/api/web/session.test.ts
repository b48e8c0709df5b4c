import { describe, expect, it } from 'vitest';
import { esc } from './html.ts';
import { csrfFor, csrfMatches, safeNext } from './session.ts';

describe('safeNext', () => {
  it('keeps paths on this gateway', () => {
    expect(safeNext('/reviews/R-1')).toBe('/reviews/R-1');
    expect(safeNext('/api/v1/whoami?x=1#y')).toBe('/api/v1/whoami?x=1#y');
  });
  it('refuses anything that could leave it', () => {
    for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)', 'reviews/R-1', '/a\nb', '/a\tb', '', undefined, 42, `/${'a'.repeat(1100)}`]) {
      expect(safeNext(bad), String(bad)).toBe('/api/v1/whoami');
    }
    expect(safeNext('//evil', '')).toBe('');
  });
});

describe('csrf', () => {
  it('is derived from the session token and checked in constant time', () => {
    const a = csrfFor('wdn_tok_a_secret');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfFor('wdn_tok_a_secret')).toBe(a);
    expect(csrfFor('wdn_tok_b_secret')).not.toBe(a);
    expect(csrfMatches('wdn_tok_a_secret', a)).toBe(true);
    expect(csrfMatches('wdn_tok_b_secret', a)).toBe(false);
    expect(csrfMatches('wdn_tok_a_secret', a.slice(0, -1))).toBe(false);
    expect(csrfMatches('wdn_tok_a_secret', undefined)).toBe(false);
    expect(csrfMatches('wdn_tok_a_secret', [a])).toBe(false);
  });
});

describe('esc', () => {
  it('escapes what could open a tag or an attribute', () => {
    expect(esc(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    expect(esc(null)).toBe('');
  });
});
