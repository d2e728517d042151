// One mTLS gRPC channel to Teleport's auth service, as the identity file says, renewed when the
// file changes: certificates from tbot live about an hour, so the file is looked at every few
// seconds and a new certificate gets a new channel (calls under way finish on the old one,
// which is closed a little later). Straight to the auth service (`auth:3025`) grpc-js does the
// TLS itself; through a TLS-routing proxy the ALPN bridge does (alpn-bridge.ts).

import { stat } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../log.js';
import { type AlpnBridge, startAlpnBridge, TELEPORT_SERVER_NAME } from './alpn-bridge.js';
import { readIdentity, type TeleportIdentity } from './identity-file.js';
import { teleportPackageDefinition } from './subset-proto.js';

export interface AuthConnectionOptions {
  /** `host:port` of the auth service, or of the proxy with `tlsRouting`. */
  address: string;
  identityFile: string;
  /** Through a proxy with TLS routing: the cluster the ALPN protocol names. */
  tlsRouting?: { clusterName: string };
  /** How often the identity file is looked at for a renewal. */
  reloadIntervalMs: number;
  connectTimeoutMs: number;
  log: Logger;
}

/** The generated client: methods as grpc-js makes them from the subset's service. */
export type AuthServiceClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

type ClientConstructor = new (
  target: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => AuthServiceClient;

let constructorCache: ClientConstructor | undefined;
function authServiceConstructor(): ClientConstructor {
  if (!constructorCache) {
    const pkg = grpc.loadPackageDefinition(teleportPackageDefinition()) as unknown as {
      proto: { AuthService: ClientConstructor };
    };
    constructorCache = pkg.proto.AuthService;
  }
  return constructorCache;
}

/** How long an old channel stays open for the calls still running on it. */
const OLD_CHANNEL_GRACE_MS = 30_000;

export class AuthConnection {
  private identityNow!: TeleportIdentity;
  private clientNow!: AuthServiceClient;
  private fileStamp = '';
  private bridge?: AlpnBridge;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();
  private readonly retiring = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(private readonly opts: AuthConnectionOptions) {}

  static async open(opts: AuthConnectionOptions): Promise<AuthConnection> {
    const conn = new AuthConnection(opts);
    conn.identityNow = await readIdentity(opts.identityFile);
    conn.fileStamp = await conn.stampOfFile();
    if (opts.tlsRouting) {
      const { host, port } = splitAddress(opts.address);
      conn.bridge = await startAlpnBridge({
        host,
        port,
        clusterName: opts.tlsRouting.clusterName,
        identity: () => conn.identityNow,
        connectTimeoutMs: opts.connectTimeoutMs,
      });
    }
    conn.clientNow = conn.newClient();
    conn.timer = setInterval(() => void conn.checkFile(), opts.reloadIntervalMs);
    conn.timer.unref();
    return conn;
  }

  get client(): AuthServiceClient {
    return this.clientNow;
  }

  get identity(): TeleportIdentity {
    return this.identityNow;
  }

  /** Called after a renewed identity got its channel (the watch reconnects on it). */
  onRenewed(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Looks at the file now (the timer does this every `reloadIntervalMs`). */
  async checkFile(): Promise<boolean> {
    if (this.closed) return false;
    let stamp: string;
    try {
      stamp = await this.stampOfFile();
      if (stamp === this.fileStamp) return false;
      const next = await readIdentity(this.opts.identityFile);
      this.fileStamp = stamp;
      if (next.fingerprint === this.identityNow.fingerprint) return false;
      this.identityNow = next;
    } catch (err) {
      // A file half written (tbot writes in place on some setups): try again next tick.
      this.opts.log.warn(
        { err: err instanceof Error ? err.message : String(err), file: this.opts.identityFile },
        'Teleport identity file not readable; keeping the current certificate',
      );
      return false;
    }
    if (this.closed) return false;
    const old = this.clientNow;
    this.clientNow = this.newClient();
    const retire = setTimeout(() => {
      this.retiring.delete(retire);
      old.close();
    }, OLD_CHANNEL_GRACE_MS);
    retire.unref();
    this.retiring.add(retire);
    this.opts.log.info(
      { user: this.identityNow.user, notAfter: this.identityNow.notAfter.toISOString() },
      'Teleport identity renewed; new connection',
    );
    for (const listener of this.listeners) listener();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const t of this.retiring) clearTimeout(t);
    this.clientNow.close();
    await this.bridge?.close();
  }

  private async stampOfFile(): Promise<string> {
    const s = await stat(this.opts.identityFile);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  }

  private newClient(): AuthServiceClient {
    const Client = authServiceConstructor();
    const options: grpc.ChannelOptions = {
      // Pings as often as Teleport's own clients (its server keep-alive period, 5 min by
      // default): a server refuses clients that ping more often than it allows.
      'grpc.keepalive_time_ms': 300_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // Each channel its own connections: a renewed certificate must not reuse the old one's.
      'grpc.use_local_subchannel_pool': 1,
    };
    if (this.bridge) return new Client(this.bridge.target, grpc.credentials.createInsecure(), options);
    const credentials = grpc.credentials.createSsl(
      this.identityNow.cas,
      this.identityNow.key,
      this.identityNow.cert,
    );
    return new Client(this.opts.address, credentials, {
      ...options,
      'grpc.ssl_target_name_override': TELEPORT_SERVER_NAME,
      'grpc.default_authority': TELEPORT_SERVER_NAME,
    });
  }
}

export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}
