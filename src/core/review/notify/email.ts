import type { Transporter } from 'nodemailer';
import type { ReviewNotice } from '../types.ts';
import type { Channel } from './channel.ts';
import { noticeText } from './message.ts';

export interface SmtpConfig {
  host: string;
  port: number;
  /** true = TLS from the first byte (465); false = STARTTLS when the server offers it. */
  secure?: boolean;
  from: string;
  to: string[];
  user?: string;
  pass?: string;
}

/** Email over SMTP: the subject names the review, requester and connection; the body has the facts and links. */
export function emailChannel(cfg: SmtpConfig, timeoutMs = 10_000): Channel {
  // nodemailer is imported at the first notice, not with the gateway: most gateways send no e-mail.
  let transport: Promise<Transporter> | undefined;
  const open = async (): Promise<Transporter> => {
    const { default: nodemailer } = await import('nodemailer');
    return nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.secure ?? false,
      ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.pass ?? '' } } : {}),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  };
  return {
    name: `email (${cfg.host}:${cfg.port})`,
    async send(notice: ReviewNotice): Promise<void> {
      const t = noticeText(notice);
      transport ??= open();
      await (await transport).sendMail({ from: cfg.from, to: cfg.to, subject: `[Warden] ${t.title}`, text: emailBody(t) });
    },
  };
}

export function emailBody(t: ReturnType<typeof noticeText>): string {
  const lines = [t.title, ''];
  if (t.statement !== null) lines.push('Statement:', '', ...t.statement.split('\n').map((l) => `    ${l}`), '');
  for (const [k, v] of t.facts) lines.push(`${k}: ${v}`);
  lines.push('', 'Failures to notify never approve anything; the review stays pending until someone decides it.');
  return lines.join('\n');
}
