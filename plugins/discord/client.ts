// The REST client and the one place Discord failures become PluginErrors. The client never
// retries and never waits out a rate limit (the host's delivery queue owns retries and
// Retry-After), so every failure surfaces at once with its retry meaning.

import { DiscordAPIError, HTTPError, RateLimitError, REST } from '@discordjs/rest';
import {
  authFailed,
  type PluginError,
  permanent,
  rateLimited,
  transient,
} from '../../src/plugin-sdk/index.js';

/** Discord's JSON error codes the plugin acts on (discord.com/developers/docs/topics/opcodes-and-status-codes). */
export const DISCORD_ERROR = {
  unknownChannel: 10003,
  unknownMessage: 10008,
  unknownUser: 10013,
  unknownMember: 10007,
  missingAccess: 50001,
  cannotMessageUser: 50007,
  missingPermissions: 50013,
  invalidFormBody: 50035,
  threadAlreadyCreated: 160004,
} as const;

export class DiscordClient {
  readonly rest: REST;
  /** Discord refused the token: read it again (a fixed file, a rotated secret) before the next call. */
  private tokenRefused = false;

  /**
   * @param token read again after Discord refuses it: a 401 makes @discordjs/rest forget the
   *   token of its instance, so without this every later call would fail without being sent.
   */
  constructor(
    private readonly token: () => string,
    apiUrl: string,
    timeoutMs: number,
  ) {
    this.rest = new REST({
      api: apiUrl,
      version: '10',
      retries: 0,
      timeout: timeoutMs,
      rejectOnRateLimit: () => true,
    }).setToken(token());
  }

  /** Runs one REST call, turning any failure into a PluginError with retry meaning. */
  async call<T>(what: string, call: (rest: REST) => Promise<unknown>): Promise<T> {
    if (this.tokenRefused) {
      try {
        this.rest.setToken(this.token());
        this.tokenRefused = false;
      } catch (err) {
        throw authFailed(`${what}: cannot read the Discord bot token (${String(err)})`, err);
      }
    }
    try {
      return (await call(this.rest)) as T;
    } catch (err) {
      if (err instanceof DiscordAPIError && err.status === 401) this.tokenRefused = true;
      throw toPluginError(err, what);
    }
  }
}

/** The JSON error code of a Discord refusal, if that is what this is (also through a PluginError's cause). */
export function discordErrorCode(err: unknown): number | undefined {
  const e = err instanceof DiscordAPIError ? err : (err as { cause?: unknown })?.cause;
  return e instanceof DiscordAPIError && typeof e.code === 'number' ? e.code : undefined;
}

export function toPluginError(err: unknown, what: string): PluginError {
  if (err instanceof RateLimitError) {
    // Waiting for the later of the two: the bucket's reset and the 429's own retry_after.
    const waitMs = Math.max(err.retryAfter, err.timeToReset, 0);
    const scope = err.global ? 'global' : `route ${err.route}`;
    return rateLimited(`${what}: Discord rate limit (${scope}), retry after ${waitMs} ms`, waitMs, err);
  }
  if (err instanceof DiscordAPIError) {
    const detail = `${what}: Discord answered ${err.status} (${err.code}: ${err.message.split('\n')[0]})`;
    if (err.status === 401) return authFailed(`${what}: Discord refused the bot token (401)`, err);
    if (err.code === DISCORD_ERROR.missingPermissions || err.code === DISCORD_ERROR.missingAccess)
      return permanent(`${detail}: give the bot the permissions listed in plugins/discord/README.md`, err);
    if (err.status === 403) return authFailed(detail, err);
    if (err.status === 408) return transient(detail, err);
    return permanent(detail, err);
  }
  if (err instanceof HTTPError) return transient(`${what}: Discord answered HTTP ${err.status}`, err);
  const message = err instanceof Error ? err.message : String(err);
  return transient(`${what}: cannot reach Discord (${message})`, err);
}
