// A fake Teleport auth service: `proto.AuthService` from the same subset proto the source
// uses, over mTLS with a throwaway CA (the caller is the client certificate's CN, as in
// Teleport). Requests live in memory; WatchEvents sends INIT and then PUT/DELETE events; a
// pending request is deleted when its pending TTL ends (Teleport's expiry). Reviews follow
// Teleport's rules as far as the tests need them: the author defaults to the caller, another
// author only when the cluster allows reviewing for others (else PERMISSION_DENIED before the
// request is looked up), no self-review, one review per author, review rights per role,
// approve/deny thresholds per role.

import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { teleportPackageDefinition } from '../../../src/host/source/teleport/subset-proto.js';
import type { Ca, Issued } from './certs.js';

export interface FakeRolePolicy {
  /** Users who may review requests for this role. */
  reviewers: string[];
  approve?: number;
  deny?: number;
}

export interface FakeAuthOptions {
  ca: Ca;
  server: Issued;
  clusterName?: string;
  /** Teleport users (the plugin user included). */
  users: string[];
  /** The plugin's user: may review any role, as the access-plugin role allows. */
  pluginUser: string;
  policies: Record<string, FakeRolePolicy>;
  /** Whether the cluster lets the plugin author reviews for other users. */
  reviewForOthers: boolean;
  /** Pending requests past their TTL are deleted this often. */
  sweepMs?: number;
  /** Serve plain HTTP/2 behind a TLS-routing proxy that did the mTLS (the caller is then `proxied`). */
  behindProxy?: boolean;
}

interface Ts {
  seconds: string;
  nanos: number;
}
interface StoredReview {
  Author: string;
  Roles: string[];
  ProposedState: string;
  Reason: string;
  Created: Ts;
  Annotations: { Values: Record<string, { Values: string[] }> };
  ThresholdIndexes: number[];
}
interface StoredRequest {
  Kind: string;
  Version: string;
  Metadata: { Name: string; Expires: Ts };
  Spec: {
    User: string;
    Roles: string[];
    State: string;
    Created: Ts;
    Expires: Ts;
    RequestReason: string;
    ResolveReason: string;
    ResolveAnnotations: { Values: Record<string, { Values: string[] }> };
    SystemAnnotations: { Values: Record<string, { Values: string[] }> };
    Thresholds: { Name: string; Filter: string; Approve: number; Deny: number }[];
    RoleThresholdMapping: Record<string, { Sets: { Indexes: number[] }[] }>;
    Reviews: StoredReview[];
    SuggestedReviewers: string[];
    RequestedResourceIDs: { ClusterName: string; Kind: string; Name: string; SubResourceName: string }[];
  };
}

export interface Submission {
  caller: string;
  author: string;
  requestId: string;
  proposedState: string;
  reason: string;
  outcome: 'ok' | string;
}

const ts = (ms: number): Ts => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
const msOf = (t: Ts) => Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
const labels = (r: Record<string, string[]> = {}) => ({
  Values: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { Values: v }])),
});

function failure(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

export class FakeTeleportAuth {
  readonly requests = new Map<string, StoredRequest>();
  readonly submissions: Submission[] = [];
  /** Requests deleted at the end of their pending TTL. */
  readonly expired = new Set<string>();
  /** Every call's caller: certificate CN and fingerprint, in order. */
  readonly callers: { method: string; cn: string; fingerprint: string }[] = [];
  /** How many watch streams were opened. */
  watchesOpened = 0;
  private readonly watchers = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  private server!: grpc.Server;
  private sweep?: NodeJS.Timeout;
  private dropAfterEvents?: number;
  private refuseWatchesUntil = 0;
  port = 0;

  constructor(readonly o: FakeAuthOptions) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const pkg = grpc.loadPackageDefinition(teleportPackageDefinition()) as unknown as {
      proto: { AuthService: { service: grpc.ServiceDefinition } };
    };
    this.server = new grpc.Server();
    this.server.addService(pkg.proto.AuthService.service, {
      Ping: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.caller('Ping', call);
        cb(null, { ClusterName: this.o.clusterName ?? 'fake.example.com', ServerVersion: '17.0.0-fake' });
      },
      WatchEvents: (call: grpc.ServerWritableStream<{ Kinds?: { Kind?: string }[] }, unknown>) =>
        this.watch(call),
      GetAccessRequestsV2: (
        call: grpc.ServerWritableStream<{ ID?: string; User?: string; State?: string }, unknown>,
      ) => {
        this.caller('GetAccessRequestsV2', call);
        const f = call.request;
        for (const r of this.requests.values()) {
          if (f.ID && r.Metadata.Name !== f.ID) continue;
          if (f.User && r.Spec.User !== f.User) continue;
          if (f.State && f.State !== 'NONE' && r.Spec.State !== f.State) continue;
          call.write(r);
        }
        call.end();
      },
      SubmitAccessReview: (
        call: grpc.ServerUnaryCall<{ RequestID?: string; Review?: Partial<StoredReview> }, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => {
        const caller = this.caller('SubmitAccessReview', call);
        try {
          cb(null, this.review(caller, call.request.RequestID ?? '', call.request.Review ?? {}));
        } catch (err) {
          cb(err as grpc.ServiceError);
        }
      },
    });
    const creds = this.o.behindProxy
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(
          this.o.ca.certPem,
          [{ private_key: this.o.server.keyPem, cert_chain: this.o.server.certPem }],
          true,
        );
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${this.port}`, creds, (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    this.sweep = setInterval(() => this.expire(), this.o.sweepMs ?? 100);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweep);
    for (const w of this.watchers) w.destroy();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }

  // ---- what an admin or a user does in the cluster ----------------------------------------

  createRequest(opts: {
    user: string;
    roles: string[];
    reason?: string;
    ttlMs?: number;
    suggestedReviewers?: string[];
    annotations?: Record<string, string[]>;
    resources?: { ClusterName: string; Kind: string; Name: string; SubResourceName?: string }[];
    /** When it was created (default now): history a first start should not post. */
    createdAt?: number;
  }): string {
    const id = randomUUID();
    const now = opts.createdAt ?? Date.now();
    const policy = this.o.policies[opts.roles[0] ?? ''];
    const r: StoredRequest = {
      Kind: 'access_request',
      Version: 'v3',
      Metadata: { Name: id, Expires: ts(Date.now() + (opts.ttlMs ?? 3_600_000)) },
      Spec: {
        User: opts.user,
        Roles: opts.roles,
        State: 'PENDING',
        Created: ts(now),
        Expires: ts(now + 8 * 3_600_000),
        RequestReason: opts.reason ?? '',
        ResolveReason: '',
        ResolveAnnotations: labels(),
        SystemAnnotations: labels(opts.annotations),
        Thresholds: [{ Name: 'default', Filter: '', Approve: policy?.approve ?? 1, Deny: policy?.deny ?? 1 }],
        RoleThresholdMapping: Object.fromEntries(
          opts.roles.map((role) => [role, { Sets: [{ Indexes: [0] }] }]),
        ),
        Reviews: [],
        SuggestedReviewers: opts.suggestedReviewers ?? [],
        RequestedResourceIDs: (opts.resources ?? []).map((x) => ({ SubResourceName: '', ...x })),
      },
    };
    this.requests.set(id, r);
    this.broadcast({ Type: 'PUT', AccessRequest: r });
    return id;
  }

  /** `tctl request rm`. */
  deleteRequest(id: string): void {
    if (!this.requests.delete(id)) return;
    this.broadcast({ Type: 'DELETE', ResourceHeader: { Kind: 'access_request', Metadata: { Name: id } } });
  }

  /** A review straight from a user's own client (tsh request review), not through the plugin. */
  reviewAsUser(user: string, id: string, state: 'APPROVED' | 'DENIED', reason: string): StoredRequest {
    return this.review(user, id, { Author: user, ProposedState: state, Reason: reason });
  }

  // ---- faults -------------------------------------------------------------------------------

  /** Cuts every watch stream after `n` more events have been sent on it. */
  dropWatchesAfter(n: number): void {
    this.dropAfterEvents = n;
  }

  /** Cuts every watch stream now; new ones are refused (UNAVAILABLE) for `refuseMs`. */
  dropWatches(refuseMs = 0): void {
    this.refuseWatchesUntil = Date.now() + refuseMs;
    for (const w of [...this.watchers]) this.cut(w);
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  // ---- internals ----------------------------------------------------------------------------

  private caller(
    method: string,
    call: { getAuthContext(): { sslPeerCertificate?: import('node:tls').PeerCertificate } },
  ): string {
    const peer = call.getAuthContext().sslPeerCertificate;
    const cn = this.o.behindProxy ? 'proxied' : String(peer?.subject?.CN ?? '');
    this.callers.push({ method, cn, fingerprint: peer?.fingerprint256 ?? '' });
    return cn;
  }

  private watch(call: grpc.ServerWritableStream<{ Kinds?: { Kind?: string }[] }, unknown>): void {
    this.caller('WatchEvents', call);
    if (Date.now() < this.refuseWatchesUntil) {
      call.emit('error', failure(grpc.status.UNAVAILABLE, 'auth service restarting'));
      return;
    }
    if (!call.request.Kinds?.some((k) => k.Kind === 'access_request')) {
      call.emit('error', failure(grpc.status.INVALID_ARGUMENT, 'watch access_request'));
      return;
    }
    this.watchesOpened++;
    this.watchers.add(call);
    call.on('cancelled', () => this.watchers.delete(call));
    call.on('close', () => this.watchers.delete(call));
    call.write({ Type: 'INIT' });
  }

  private cut(w: grpc.ServerWritableStream<unknown, unknown>): void {
    this.watchers.delete(w);
    w.emit('error', failure(grpc.status.UNAVAILABLE, 'connection reset'));
  }

  private broadcast(event: unknown): void {
    for (const w of [...this.watchers]) {
      w.write(event);
      if (this.dropAfterEvents !== undefined) {
        this.dropAfterEvents--;
        if (this.dropAfterEvents <= 0) {
          this.dropAfterEvents = undefined;
          for (const x of [...this.watchers]) this.cut(x);
        }
      }
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, r] of this.requests) {
      if (r.Spec.State === 'PENDING' && msOf(r.Metadata.Expires) <= now) {
        this.expired.add(id);
        this.deleteRequest(id);
      }
    }
  }

  private review(caller: string, id: string, review: Partial<StoredReview>): StoredRequest {
    const author = review.Author || caller;
    const record = (outcome: string) =>
      this.submissions.push({
        caller,
        author,
        requestId: id,
        proposedState: review.ProposedState ?? '',
        reason: review.Reason ?? '',
        outcome,
      });
    if (author !== caller && !this.o.reviewForOthers) {
      record('denied: for others');
      throw failure(
        grpc.status.PERMISSION_DENIED,
        `user "${caller}" cannot submit reviews on behalf of "${author}"`,
      );
    }
    const r = this.requests.get(id);
    if (!r) {
      record('not found');
      throw failure(grpc.status.NOT_FOUND, `access request "${id}" is not found`);
    }
    if (!this.o.users.includes(author)) {
      record('unknown author');
      throw failure(grpc.status.NOT_FOUND, `user "${author}" is not found`);
    }
    if (r.Spec.State !== 'PENDING') {
      record('resolved');
      throw failure(grpc.status.INVALID_ARGUMENT, 'the access request is already resolved');
    }
    if (author === r.Spec.User) {
      record('self');
      throw failure(grpc.status.PERMISSION_DENIED, 'you cannot review your own request');
    }
    const allowed =
      author === this.o.pluginUser ||
      r.Spec.Roles.every((role) => this.o.policies[role]?.reviewers.includes(author));
    if (!allowed) {
      record('no rights');
      throw failure(grpc.status.PERMISSION_DENIED, `user "${author}" cannot review this request`);
    }
    if (r.Spec.Reviews.some((x) => x.Author === author)) {
      record('twice');
      throw failure(grpc.status.ALREADY_EXISTS, `user "${author}" has already reviewed this request`);
    }
    const stored: StoredReview = {
      Author: author,
      Roles: review.Roles ?? [],
      ProposedState: review.ProposedState === 'DENIED' ? 'DENIED' : 'APPROVED',
      Reason: review.Reason ?? '',
      Created: ts(Date.now()),
      Annotations: review.Annotations ?? labels(),
      ThresholdIndexes: [0],
    };
    r.Spec.Reviews.push(stored);
    const t = r.Spec.Thresholds[0]!;
    const count = (state: string) => r.Spec.Reviews.filter((x) => x.ProposedState === state).length;
    if (count('DENIED') >= t.Deny) r.Spec.State = 'DENIED';
    else if (count('APPROVED') >= t.Approve) r.Spec.State = 'APPROVED';
    if (r.Spec.State !== 'PENDING') {
      r.Spec.ResolveReason = stored.Reason;
      r.Spec.ResolveAnnotations = stored.Annotations;
    }
    record('ok');
    this.broadcast({ Type: 'PUT', AccessRequest: r });
    return r;
  }
}
