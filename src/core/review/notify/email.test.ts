import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.ts';
import { createNotifier } from './index.ts';
import { notice } from './sample.ts';

// Email against a real SMTP server (smtp-server) on a free port: no auth, no TLS.

const clock = manualClock(new Date('2026-05-01T09:00:00Z'));
const log = pino({ level: 'silent' });

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

let server: SMTPServer | undefined;
afterEach(async () => {
  await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
  server = undefined;
});

async function smtp(): Promise<{ port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        done();
      });
    },
  });
  const s = server;
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  return { port: (s.server.address() as AddressInfo).port, mails };
}

/** Header value (unfolded) and body (quoted-printable decoded when so encoded). */
function parse(raw: string): { header(name: string): string | undefined; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n(?=[ \t])/g, '');
  let body = raw.slice(split + 4);
  const header = (name: string) => head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim();
  if (header('Content-Transfer-Encoding') === 'quoted-printable') {
    body = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return { header, body };
}

describe('email channel', () => {
  it('delivers a mail whose subject names review, requester and connection, with statement, reason and links', async () => {
    const rx = await smtp();
    const notifier = createNotifier(
      { webhooks: [], slack: [], smtp: { host: '127.0.0.1', port: rx.port, secure: false, from: 'warden@example.com', to: ['dba@example.com', 'sec@example.com'] } },
      { log, clock },
    );
    expect(await notifier.notify(notice())).toEqual([{ channel: `email (127.0.0.1:${rx.port})` }]);
    expect(rx.mails).toHaveLength(1);
    const mail = rx.mails[0]!;
    expect(mail.from).toBe('warden@example.com');
    expect(mail.to).toEqual(['dba@example.com', 'sec@example.com']);
    const m = parse(mail.raw);
    expect(m.header('Subject')).toBe('[Warden] Review R-42: alice asks to run a statement on prod');
    expect(m.body).toContain("DELETE FROM users WHERE email = '***' AND note = '<b>&'");
    expect(m.body).toContain('Reason: INC-9: remove a spam account');
    expect(m.body).toContain('Approve: https://warden.example/reviews/R-42#approve');
    expect(m.body).toContain('Deny: https://warden.example/reviews/R-42#deny');
  });

  it('reports an SMTP server that is not there, without throwing', async () => {
    const rx = await smtp();
    await new Promise<void>((res) => server!.close(() => res()));
    server = undefined;
    const notifier = createNotifier({ webhooks: [], slack: [], smtp: { host: '127.0.0.1', port: rx.port, from: 'w@x', to: ['a@x'] } }, { log, clock });
    const [out] = await notifier.notify(notice());
    expect(out!.error).toMatch(/ECONNREFUSED|connect/i);
  });
});
