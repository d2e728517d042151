// Recipients from the host's routing: a channel by id or `#name` within the configured server,
// a person by `<@id>` / `user:<id>`, by `@username` (a member of the server), or by the email
// the router gives for suggested reviewers and the requester (the access user's mapping trait
// holds their Discord id or username; Discord has no lookup by email). People get the message
// in their DM with the bot.

import type { APIChannel, APIGuildMember } from 'discord-api-types/v10';
import { ChannelType, Routes } from 'discord-api-types/v10';
import { type PluginContext, permanent, type Target } from '../../src/plugin-sdk/index.js';
import { DISCORD_ERROR, type DiscordClient, discordErrorCode } from './client.js';
import { type DiscordConfig, mappingTrait, SNOWFLAKE } from './config.js';

const USER_MENTION = /^(?:<@!?(\d{17,20})>|user:(\d{17,20}))$/;
/** Discord's unique usernames: 2-32 of lowercase letters, digits, `_` and `.`. */
const USERNAME = /^@([a-z0-9_.]{2,32})$/;
const CHANNEL_NAME = /^#([^\s#]{1,100})$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
/** Channels a bot message can go to: text, announcement, and forum-less threads are not targets. */
const POSTABLE = new Set<number>([ChannelType.GuildText, ChannelType.GuildAnnouncement]);
/** Members search answers at most this many (Discord allows up to 1000). */
const MEMBER_SEARCH_LIMIT = 10;

export class DiscordRecipients {
  constructor(
    private readonly client: DiscordClient,
    private readonly ctx: PluginContext<DiscordConfig>,
  ) {}

  async resolve(raw: string, audience: Target['audience']): Promise<Target> {
    const value = raw.trim();
    const mention = USER_MENTION.exec(value);
    if (mention) return { id: (mention[1] ?? mention[2])!, kind: 'user', audience };
    if (SNOWFLAKE.test(value)) return this.channelById(value, audience);
    const name = CHANNEL_NAME.exec(value);
    if (name) return this.channelByName(name[1]!, audience);
    const username = USERNAME.exec(value.toLowerCase());
    if (username) return this.member(username[1]!, audience);
    if (EMAIL.test(value)) return this.person(value, audience);
    throw permanent(
      `not a Discord recipient: ${JSON.stringify(raw)} (use #channel, a channel id, <@user id>, @username or an email)`,
    );
  }

  private get guildId(): string {
    return this.ctx.config.guild_id;
  }

  /** A channel id must name a text channel of the configured server (nothing is posted elsewhere). */
  private async channelById(id: string, audience: Target['audience']): Promise<Target> {
    let channel: APIChannel;
    try {
      channel = await this.client.call<APIChannel>('get channel', (rest) => rest.get(Routes.channel(id)));
    } catch (err) {
      if (discordErrorCode(err) === DISCORD_ERROR.unknownChannel)
        throw permanent(`Discord has no channel ${id} (or the bot cannot see it)`, err);
      throw err;
    }
    const guild = (channel as { guild_id?: string }).guild_id;
    if (guild !== this.guildId)
      throw permanent(`channel ${id} is not in the configured server ${this.guildId}`);
    if (!POSTABLE.has(channel.type)) throw permanent(`channel ${id} is not a text channel`);
    return { id, kind: 'channel', audience, data: { name: channel.name ?? id } };
  }

  private async channelByName(name: string, audience: Target['audience']): Promise<Target> {
    const channels = await this.client.call<APIChannel[]>('list channels', (rest) =>
      rest.get(Routes.guildChannels(this.guildId)),
    );
    const wanted = name.toLowerCase();
    const found = channels.find((c) => POSTABLE.has(c.type) && c.name?.toLowerCase() === wanted);
    if (!found) throw permanent(`the server ${this.guildId} has no text channel #${name}`);
    return { id: found.id, kind: 'channel', audience, data: { name: found.name ?? name } };
  }

  /** A member of the configured server by exact username (the search matches prefixes). */
  private async member(username: string, audience: Target['audience']): Promise<Target> {
    const query = new URLSearchParams({ query: username, limit: String(MEMBER_SEARCH_LIMIT) });
    const members = await this.client.call<APIGuildMember[]>('search members', (rest) =>
      rest.get(Routes.guildMembersSearch(this.guildId), { query }),
    );
    const found = members.find((m) => m.user.username.toLowerCase() === username);
    if (!found) throw permanent(`the server ${this.guildId} has no member @${username}`);
    return { id: found.user.id, kind: 'user', audience, data: { username: found.user.username } };
  }

  /** An email from the router: the access user's mapping trait says who they are on Discord. */
  private async person(email: string, audience: Target['audience']): Promise<Target> {
    if (!this.ctx.lookupPerson)
      throw permanent(`cannot map ${email} to a Discord user: the host offers no lookup`);
    const person = await this.ctx.lookupPerson({ email });
    if (!person) throw permanent(`no access user has the email ${email}`);
    const trait = mappingTrait(this.ctx.config);
    const value = person.traits[trait]?.find((v) => v.trim() !== '')?.trim();
    if (!value)
      throw permanent(`access user ${person.name} has no ${trait} trait, so cannot be reached on Discord`);
    if (this.ctx.config.user_mapping.by === 'id') {
      if (!SNOWFLAKE.test(value))
        throw permanent(`trait ${trait} of ${person.name} is not a Discord user id`);
      return { id: value, kind: 'user', audience };
    }
    return this.member(value.replace(/^@/, '').toLowerCase(), audience);
  }
}
