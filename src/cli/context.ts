// Global options (--api, --token, --token-file, --config, --format) resolved once per command,
// plus output helpers. Precedence for each setting: flag, then environment, then the config
// file given with --config, then the built-in default.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isHeaderSafeToken } from '../client/http-access-client.js';
import type { AccessClient } from '../client/types.js';
import type { LoadedConfig } from '../config/index.js';
import { AccessbotError } from '../errors.js';
import { createAccessClient } from './api-client.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { terminalJson } from './format/text.js';
import type { CliIo } from './io.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:3080';
export const ADMIN_TOKEN_FILE = 'admin.token';

export type OutputFormat = 'text' | 'json';

export interface GlobalOptions {
  api?: string;
  token?: string;
  tokenFile?: string;
  config?: string;
  format: OutputFormat;
}

function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AccessbotError('UNAUTHENTICATED', `cannot read token file ${file} (${code})`);
  }
  if (!token) throw new AccessbotError('UNAUTHENTICATED', `token file ${file} is empty`);
  return token;
}

/**
 * A token is one word of printable characters. Anything else (a pasted second line, a space) would
 * end up in an HTTP header error that quotes the header, token included: refuse it here, naming
 * only where it came from.
 */
function checkTokenShape(token: string, source: string): string {
  if (!isHeaderSafeToken(token)) {
    throw new AccessbotError(
      'INVALID_TOKEN',
      `${source} does not hold a single token (it contains spaces or several lines); keep only the token in it`,
    );
  }
  return token;
}

function readableToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function listenToUrl(listen: string): string {
  const [host, port] = listen.startsWith(':') ? ['127.0.0.1', listen.slice(1)] : listen.split(':');
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host;
  return `http://${reachable}:${port}`;
}

export class CliContext {
  /** Set by a command that finished without throwing but should still exit non-zero. */
  exitCode: ExitCode = EXIT.OK;
  /** The API URL of the last client built, for "cannot reach" messages. */
  apiUrl?: string;
  private loaded?: Promise<LoadedConfig>;
  private clientConfig?: Promise<LoadedConfig>;

  constructor(readonly io: CliIo) {}

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  /** The config named by --config or ACCESSBOT_CONFIG (or ./accessbot.yaml), loaded once. */
  config(cmd: Command): Promise<LoadedConfig> {
    const file = this.globals(cmd).config;
    // Loaded on demand: zod and the plugins are a noticeable part of a short command's start.
    this.loaded ??= import('../config/load.js').then(({ loadConfig }) =>
      loadConfig({ ...(file ? { file } : {}), env: this.io.env, cwd: this.io.cwd }),
    );
    return this.loaded;
  }

  /**
   * The config named by --config or ACCESSBOT_CONFIG (or ./accessbot.yaml), for its host and
   * api blocks only: plugin blocks (and the secrets they need) are not checked.
   */
  hostConfig(cmd: Command): Promise<LoadedConfig> {
    const file = this.globals(cmd).config;
    return import('../config/load.js').then(({ loadConfig }) =>
      loadConfig({ ...(file ? { file } : {}), env: this.io.env, cwd: this.io.cwd, validatePlugins: false }),
    );
  }

  /** Reads the config again (SIGHUP), not what was loaded at start. */
  reloadConfig(cmd: Command): Promise<LoadedConfig> {
    this.loaded = undefined;
    return this.config(cmd);
  }

  /**
   * For client commands: the file given with --config on this command line (not
   * ACCESSBOT_CONFIG, which a server's environment sets), read for api.listen and
   * api.data_dir only, so plugin blocks and their secrets do not matter here.
   */
  private explicitConfig(cmd: Command): Promise<LoadedConfig> | undefined {
    const file = this.globals(cmd).config;
    if (!file) return undefined;
    this.clientConfig ??= import('../config/load.js').then(({ loadConfig }) =>
      loadConfig({ file, env: this.io.env, cwd: this.io.cwd, validatePlugins: false }),
    );
    return this.clientConfig;
  }

  async resolveApiUrl(cmd: Command): Promise<string> {
    const g = this.globals(cmd);
    const fromConfig = await this.explicitConfig(cmd);
    const raw =
      g.api ||
      this.io.env.ACCESSBOT_API ||
      (fromConfig ? listenToUrl(fromConfig.config.api.listen) : DEFAULT_API_URL);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AccessbotError('BAD_REQUEST', `--api ${raw} is not a URL; use e.g. ${DEFAULT_API_URL}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AccessbotError('BAD_REQUEST', `--api must be an http(s) URL, not ${url.protocol}`);
    }
    return raw.replace(/\/+$/, '');
  }

  async resolveToken(cmd: Command): Promise<string> {
    const g = this.globals(cmd);
    if (g.token) return checkTokenShape(g.token, '--token');
    if (g.tokenFile) return checkTokenShape(readTokenFile(resolve(this.io.cwd, g.tokenFile)), g.tokenFile);
    if (this.io.env.ACCESSBOT_TOKEN) return checkTokenShape(this.io.env.ACCESSBOT_TOKEN, 'ACCESSBOT_TOKEN');
    if (this.io.env.ACCESSBOT_TOKEN_FILE)
      return checkTokenShape(
        readTokenFile(resolve(this.io.cwd, this.io.env.ACCESSBOT_TOKEN_FILE)),
        this.io.env.ACCESSBOT_TOKEN_FILE,
      );
    const fromConfig = await this.explicitConfig(cmd);
    const dataDir = fromConfig?.config.api.data_dir ?? this.io.env.ACCESSBOT_DATA_DIR ?? './data';
    const fallback = resolve(this.io.cwd, dataDir, ADMIN_TOKEN_FILE);
    const token = readableToken(fallback);
    if (token) return checkTokenShape(token, fallback);
    throw new AccessbotError('UNAUTHENTICATED', `no token given and ${fallback} is not readable`);
  }

  async client(cmd: Command): Promise<AccessClient> {
    const url = await this.resolveApiUrl(cmd);
    this.apiUrl = url;
    return createAccessClient(url, await this.resolveToken(cmd));
  }

  format(cmd: Command): OutputFormat {
    return this.globals(cmd).format;
  }

  /** Prints `data` as JSON with --format json, else the text lines. */
  emit(cmd: Command, data: unknown, text: () => string[]): void {
    if (this.format(cmd) === 'json') this.io.out(terminalJson(data));
    else for (const line of text()) this.io.out(line);
  }
}
