// One pooled nodemailer transport per plugin instance, and the translation of SMTP answers into
// what the host should do: 5xx → permanent (that one recipient's delivery is dead-lettered with
// the server's answer), 421 / 454 (the server as a whole asks us to slow down) → rate_limited for
// the configured wait, other 4xx and network failures → transient, 535 → auth.
// nodemailer retries nothing on its own here (maxRequeues: 0): the host's queue owns every retry.

import nodemailer, { type Transporter } from 'nodemailer';
import {
  authFailed,
  type PluginError,
  permanent,
  rateLimited,
  transient,
} from '../../src/plugin-sdk/index.js';
import { type EmailConfig, smtpPassword } from './config.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** The thread's root Message-ID, absent on the root mail itself. */
  inReplyTo?: string;
  references?: string[];
  headers: Record<string, string>;
}

/**
 * Answers by which the server as a whole asks us to slow down: 421 "service not available"
 * (when it reaches us with its code; a pooled connection it closes usually surfaces as a plain
 * connection error, retried with backoff) and 454, the throttling answer of relays such as
 * Amazon SES ("454 Throttling failure: Maximum sending rate exceeded").
 */
const SERVER_BUSY = new Set([421, 454]);

export class Mailer {
  private readonly transport: Transporter;

  constructor(
    private readonly cfg: EmailConfig,
    private readonly from: string,
  ) {
    const password = smtpPassword(cfg);
    const { smtp } = cfg;
    this.transport = nodemailer.createTransport({
      pool: true,
      // The pool would otherwise send a mail again on a fresh connection when the server
      // closes one mid-mail (a 421 does): a hidden retry that skips the host's backoff and
      // pauses, and duplicates a mail whose 250 was lost. The host's queue retries instead.
      maxRequeues: 0,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.security === 'tls',
      requireTLS: smtp.security === 'starttls',
      ignoreTLS: smtp.security === 'none',
      maxConnections: smtp.max_connections,
      connectionTimeout: smtp.timeout_ms,
      greetingTimeout: smtp.timeout_ms,
      socketTimeout: smtp.timeout_ms,
      tls: { rejectUnauthorized: smtp.tls_verify },
      ...(smtp.user && password ? { auth: { user: smtp.user, pass: password } } : {}),
    });
  }

  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw this.errorOf(err, 'SMTP check');
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
        ...(mail.references ? { references: mail.references } : {}),
        headers: mail.headers,
      });
    } catch (err) {
      throw this.errorOf(err, `mail to ${mail.to}`);
    }
  }

  close(): void {
    this.transport.close();
  }

  private errorOf(err: unknown, what: string): PluginError {
    const smtp = err as { code?: string; responseCode?: number; response?: string; message?: string };
    const answer = smtp.response ?? smtp.message ?? String(err);
    const code = smtp.responseCode;
    if (smtp.code === 'EAUTH' || code === 535)
      return authFailed(`${what}: SMTP login refused: ${answer}`, err);
    if (code !== undefined && SERVER_BUSY.has(code))
      return rateLimited(`${what}: SMTP server busy: ${answer}`, this.cfg.temp_failure_retry_ms, err);
    if (code !== undefined && code >= 500) return permanent(`${what}: SMTP refused: ${answer}`, err);
    if (code !== undefined && code >= 400) return transient(`${what}: SMTP deferred: ${answer}`, err);
    return transient(`${what}: SMTP unreachable: ${answer}`, err);
  }
}
