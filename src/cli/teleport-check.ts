// `config check --online` with `host.source: teleport`: the identity file, the cluster (Ping),
// and who will author the reviews made on the platforms: the person, where the cluster lets
// the plugin's user review for others, or the plugin's user with the person named in the reason.

import type { TeleportSourceConfig } from '../config/schema.js';
import { AccessbotError } from '../errors.js';
import { createLogger } from '../log.js';

/** The part of setup-check's report this check writes to (kept structural: no import cycle). */
interface Report {
  ok: string[];
  problems: { path: string; message: string }[];
  apiUnreachable: boolean;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function checkTeleport(cfg: TeleportSourceConfig, report: Report): Promise<boolean> {
  const { openTeleportSource } = await import('../host/source/teleport/index.js');
  let opened: Awaited<ReturnType<typeof openTeleportSource>>;
  try {
    opened = await openTeleportSource(cfg, createLogger({ level: 'silent' }));
  } catch (err) {
    report.problems.push({ path: 'host.teleport.identity_file', message: messageOf(err) });
    return false;
  }
  try {
    const { source, connection } = opened;
    const user = connection.identity.user;
    const ping = await source.ping();
    const left = connection.identity.notAfter.getTime() - Date.now();
    report.ok.push(
      `teleport ${ping.clusterName} ${ping.serverVersion} at ${cfg.address} (as ${user}; certificate valid until ${connection.identity.notAfter.toISOString()})`,
    );
    if (left < 0) {
      report.problems.push({
        path: 'host.teleport.identity_file',
        message: `the certificate of ${user} expired at ${connection.identity.notAfter.toISOString()}: renew it (tbot, or tctl auth sign again)`,
      });
    }
    const cluster = await source.clusterReviewMode();
    if (cluster === 'person') {
      report.ok.push(
        cfg.review_as === 'plugin'
          ? `teleport reviews: authored by ${user} (review_as: plugin), though the cluster would let ${user} review for the person`
          : `teleport reviews: authored by the person (the cluster lets ${user} review for others; it checks each person's own rights)`,
      );
    } else if (cfg.review_as === 'person') {
      report.problems.push({
        path: 'host.teleport.review_as',
        message: `review_as is person, but the cluster does not let ${user} review for others, so every decision on a platform is refused: allow it in ${user}'s role, or set review_as: auto`,
      });
    } else {
      report.ok.push(
        `teleport reviews: authored by ${user}, the person named in the reason (the cluster does not let ${user} review for others, so it checks no person's rights and counts one review per request toward thresholds)`,
      );
    }
    return true;
  } catch (err) {
    report.apiUnreachable = !(err instanceof AccessbotError) || err.code === 'API_UNAVAILABLE';
    report.problems.push({ path: 'host.teleport', message: `${cfg.address}: ${messageOf(err)}` });
    return false;
  } finally {
    await opened.close();
  }
}
