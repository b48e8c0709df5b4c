import { expect, test } from 'vitest';
import { parseLoginName } from './auth.ts';

test('the SSH user name splits at the last @ into Warden user and connection', () => {
  expect(parseLoginName('alice@web-1')).toEqual({ user: 'alice', connection: 'web-1' });
  expect(parseLoginName('alice@example.com@web-1')).toEqual({ user: 'alice@example.com', connection: 'web-1' });
});

test('a user name that names no connection is a bad request that shows the scheme', () => {
  for (const bad of ['alice', 'alice@', '@web-1', '']) {
    expect(() => parseLoginName(bad)).toThrow(/<warden user>@<connection>/);
  }
});
