// A real SMTP server on 127.0.0.1 (smtp-server), keeping every accepted mail parsed by
// mailparser, with the faults a real relay shows: a 4xx "try later" on the next RCPT (451
// greylisting, 421 closing, 454 throttling), a 550 for one mailbox, and a refused login.

import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail {
  /** The envelope recipient (one per mail, as the plugin sends). */
  to: string;
  parsed: ParsedMail;
  /** Header value by lower-case name (nodemailer changes header case). */
  header(name: string): string | undefined;
  subject: string;
  text: string;
  html: string;
  receivedAt: number;
}

export interface FakeSmtp {
  port: number;
  user: string;
  password: string;
  mails: ReceivedMail[];
  /** The next `n` RCPT commands answer `code` (e.g. 451 or 421). */
  failNextRcpt(n: number, code: number): void;
  /** Every RCPT to this address answers 550. */
  rejectMailbox(address: string): void;
  /** Lifts every rejectMailbox. */
  acceptAllMailboxes(): void;
  /** Faults set that have not hit a command yet. */
  unusedFaults(): number;
  stop(): Promise<void>;
}

const FAULT_TEXT: Record<number, string> = {
  421: '4.3.2 Service shutting down, try again later',
  450: '4.2.1 Mailbox busy, try again later',
  451: '4.7.1 Greylisted, try again later',
  454: '4.7.0 Throttling failure: Maximum sending rate exceeded',
  550: '5.1.1 No such user here',
};

function smtpError(code: number): Error & { responseCode: number } {
  return Object.assign(new Error(FAULT_TEXT[code] ?? 'refused'), { responseCode: code });
}

export async function startFakeSmtp(opts: { auth?: boolean } = {}): Promise<FakeSmtp> {
  const user = 'accessbot';
  const password = 'smtp-password-for-tests';
  const mails: ReceivedMail[] = [];
  const faults: number[] = [];
  const rejected = new Set<string>();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      return callback(
        Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }),
      );
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const fault = faults.shift();
      if (fault !== undefined) return callback(smtpError(fault));
      if (rejected.has(address.address.toLowerCase())) return callback(smtpError(550));
      return callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = session.envelope.rcptTo[0]?.address.toLowerCase() ?? '';
          mails.push({
            to,
            parsed,
            header: (name) => {
              const value = parsed.headers.get(name.toLowerCase());
              return value === undefined ? undefined : String(value);
            },
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            receivedAt: Date.now(),
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    user,
    password,
    mails,
    failNextRcpt(n, code) {
      for (let i = 0; i < n; i++) faults.push(code);
    },
    rejectMailbox(address) {
      rejected.add(address.toLowerCase());
    },
    acceptAllMailboxes() {
      rejected.clear();
    },
    unusedFaults: () => faults.length,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
