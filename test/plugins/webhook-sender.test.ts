// The webhook sender against a real receiver on 127.0.0.1: what the receiver gets, and how
// each kind of answer (or no answer) becomes an error with the right retry meaning.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCard } from '../../plugins/webhook/sender.js';
import { type Card, PluginError } from '../../src/plugin-sdk/index.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const SECRET = 'sender-test-secret-0123456789';
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET });
});
afterAll(async () => {
  await receiver.stop();
});

const card = { requestId: 'req-1', version: 1, state: 'PENDING' } as unknown as Card;

async function errorOf(p: Promise<unknown>): Promise<PluginError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

describe('webhook sender', () => {
  it('posts the signed payload the receiver accepts, once per delivery id', async () => {
    const url = `${receiver.urlFor('sender')}?team=dba`;
    await sendCard(url, SECRET, 5_000, { event: 'request.posted', delivery: 'd-1', card });
    await sendCard(url, SECRET, 5_000, { event: 'request.posted', delivery: 'd-1', card });
    const got = receiver.deliveries().filter((d) => d.delivery === 'd-1');
    expect(got.map((d) => [d.path, d.event, d.requestId, d.copies])).toEqual([
      ['/sender', 'request.posted', 'req-1', 2],
    ]);
    expect(receiver.badSignatures()).toBe(0);
  });

  it('turns 429 into rate_limited with the Retry-After wait, 5xx into transient, 4xx into permanent, 401 into auth', async () => {
    const answers = [{ status: 429, retryAfter: '7' }, { status: 503 }, { status: 404 }, { status: 401 }];
    let i = 0;
    receiver.answer(() => answers[i++] ?? null);
    try {
      const kinds: [string, number | undefined][] = [];
      for (let n = 0; n < answers.length; n++) {
        const err = await errorOf(
          sendCard(receiver.urlFor('errors'), SECRET, 5_000, {
            event: 'request.posted',
            delivery: `e-${n}`,
            card,
          }),
        );
        kinds.push([err.kind, err.retryAfterMs]);
      }
      expect(kinds).toEqual([
        ['rate_limited', 7_000],
        ['transient', undefined],
        ['permanent', undefined],
        ['auth', undefined],
      ]);
    } finally {
      receiver.answer(null);
    }
  });

  it('reports a receiver that is not listening, or too slow, as transient and names its host', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await errorOf(
      sendCard(`http://127.0.0.1:${port}/x`, SECRET, 5_000, {
        event: 'request.posted',
        delivery: 'u-1',
        card,
      }),
    );
    expect([refused.kind, refused.message]).toEqual([
      'transient',
      expect.stringContaining(`127.0.0.1:${port}`),
    ]);

    receiver.delay(1_000);
    try {
      const slow = await errorOf(
        sendCard(receiver.urlFor('slow'), SECRET, 200, { event: 'request.posted', delivery: 's-1', card }),
      );
      expect([slow.kind, slow.message]).toEqual([
        'transient',
        expect.stringMatching(/unreachable: .*timeout/i),
      ]);
    } finally {
      receiver.delay(0);
    }
  });
});
