// Gathers the calls made during one turn of the event loop into one batch, run as one call.
// Every delivery makes two Redis script calls (post-steps.ts); with many deliveries in flight,
// one script call for all of a turn's claims (or commits) costs the host and Redis far less
// than one each: the per-command work of ioredis and of Redis is paid once per batch.
//
// A batch runs in the same turn, right after the I/O callbacks (setImmediate), so no call
// waits for a timer. A failed batch fails every call in it, as the calls would have failed
// one by one (the batch is one round trip on one connection).

interface Pending<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}

export class CallBatcher<In, Out> {
  private pending: Pending<In, Out>[] = [];
  private scheduled = false;

  /** `run` answers the inputs in order, one output each. */
  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 64,
  ) {}

  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.run(batch.map((p) => p.input)).then(
      (outs) => {
        for (let i = 0; i < batch.length; i++) {
          const out = outs[i];
          if (out === undefined) batch[i]!.reject(new Error('batched call got no answer'));
          else batch[i]!.resolve(out);
        }
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
