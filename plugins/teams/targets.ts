// Recipients as an admin writes them in routing: a channel by id (`19:…@thread.tacv2`), a
// channel by team and channel name (`#Team name/channel name`), or a person by email or UPN.
// Resolving only checks the spelling: whether the bot can reach the place yet is known at
// delivery time (installs happen later), and a target not reachable yet waits, never drops.

import { permanent, type Target } from '../../src/plugin-sdk/index.js';

export type TeamsTargetKind = 'channel' | 'channel-name' | 'person';

const CHANNEL_ID = /^19:[A-Za-z0-9._@:-]{1,200}$/;
const EMAIL = /^[^\s@]{1,128}@[^\s@]{1,253}$/;
const CHANNEL_NAME = /^#([^/]{1,256})\/(.{1,256})$/;

export function resolveTarget(raw: string, audience: Target['audience']): Target {
  const value = raw.trim();
  if (CHANNEL_ID.test(value)) return { id: value, kind: 'channel', audience };
  const named = CHANNEL_NAME.exec(value);
  if (named) {
    const team = named[1]!.trim();
    const channel = named[2]!.trim();
    return {
      id: `#${team}/${channel}`.toLowerCase(),
      kind: 'channel-name',
      audience,
      data: { team, channel },
    };
  }
  if (EMAIL.test(value)) return { id: value.toLowerCase(), kind: 'person', audience };
  throw permanent(
    `not a Teams recipient: "${raw}" (use a channel id 19:…@thread.tacv2, #Team/channel, or a person's email/UPN)`,
  );
}

export function targetKind(target: Target): TeamsTargetKind {
  if (target.kind === 'channel' || target.kind === 'channel-name' || target.kind === 'person')
    return target.kind;
  throw permanent(`not a Teams target kind: ${target.kind}`);
}
