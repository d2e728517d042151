import { describe, expect, it } from 'vitest';
import { CallBatcher } from './call-batcher.js';

describe('CallBatcher', () => {
  it('answers calls made in one turn with one batch, each caller its own output', async () => {
    const batches: number[][] = [];
    const b = new CallBatcher<number, string>(async (inputs) => {
      batches.push(inputs);
      return inputs.map((i) => `out${i}`);
    });
    const outs = await Promise.all([b.call(1), b.call(2), b.call(3)]);
    expect(outs).toEqual(['out1', 'out2', 'out3']);
    expect(batches).toEqual([[1, 2, 3]]);
    // A later turn is a new batch.
    expect(await b.call(4)).toBe('out4');
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('splits at the largest batch size', async () => {
    const sizes: number[] = [];
    const b = new CallBatcher<number, number>(async (inputs) => {
      sizes.push(inputs.length);
      return inputs;
    }, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((i) => b.call(i)))).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('fails every call of a failed batch, and the next batch still runs', async () => {
    let fail = true;
    const b = new CallBatcher<number, number>(async (inputs) => {
      if (fail) throw new Error('redis down');
      return inputs;
    });
    const results = await Promise.allSettled([b.call(1), b.call(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await b.call(3)).toBe(3);
  });

  it('rejects a call the batch left unanswered instead of leaving it hanging', async () => {
    const b = new CallBatcher<number, number>(async (inputs) => inputs.slice(1));
    const results = await Promise.allSettled([b.call(1), b.call(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });
});
