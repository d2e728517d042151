// `host.source: teleport`: opens the connection the config describes and the source on it.

import type { TeleportSourceConfig } from '../../../config/schema.js';
import type { Logger } from '../../../log.js';
import { AuthConnection } from './auth-connection.js';
import { TeleportSource } from './teleport-source.js';

export { authAlpnProtocol, startAlpnBridge } from './alpn-bridge.js';
export { AuthConnection } from './auth-connection.js';
export { parseIdentity, readIdentity } from './identity-file.js';
export type { ReviewMode } from './review-mode.js';
export { TeleportSource } from './teleport-source.js';

export interface OpenedTeleportSource {
  source: TeleportSource;
  connection: AuthConnection;
  close(): Promise<void>;
}

export async function openTeleportSource(
  cfg: TeleportSourceConfig,
  log: Logger,
): Promise<OpenedTeleportSource> {
  const connection = await AuthConnection.open({
    address: cfg.address,
    identityFile: cfg.identity_file,
    ...(cfg.tls_routing && cfg.cluster_name ? { tlsRouting: { clusterName: cfg.cluster_name } } : {}),
    reloadIntervalMs: cfg.identity_reload_interval,
    connectTimeoutMs: cfg.timeout,
    log: log.child({ component: 'teleport' }),
  });
  const source = new TeleportSource({
    connection,
    log: log.child({ component: 'teleport' }),
    timeoutMs: cfg.timeout,
    initTimeoutMs: cfg.init_timeout,
    reviewAs: cfg.review_as,
    ...(cfg.email_domain ? { emailDomain: cfg.email_domain } : {}),
  });
  return { source, connection, close: () => connection.close() };
}
