// Where the bot may post. Teams lets a bot write only where its app is installed, and tells it
// so with installationUpdate / conversationUpdate activities: each one seen is remembered in the
// plugin's key/value store (the team and its service URL, a channel, a person's 1:1 chat), so
// every host replica can post there. Teams named in the config are looked up the same way.
// A person without a 1:1 chat yet gets one created (with the tenant id) when the app is in a
// team they belong to. A target that cannot be reached yet is reported by healthCheck with what
// to install where, and its delivery fails as transient so the host retries it.

import type { Activity } from '@microsoft/agents-activity';
import type { ConnectorClient } from '@microsoft/agents-hosting';
import { type Logger, type PluginKv, type Target, transient } from '../../src/plugin-sdk/index.js';
import type { TeamsConfig } from './config.js';
import type { WithConnector } from './connector.js';
import { type GraphLocator, personalChatId } from './graph.js';
import { targetKind } from './targets.js';

/** A conversation the bot can post in. */
export interface Conversation {
  conversationId: string;
  serviceUrl: string;
  /** `channel` posts start a thread; `personal` is a 1:1 chat. */
  kind: 'channel' | 'personal';
  /** Where Graph reads its messages, when known (to find a post whose answer was lost). */
  graph?: GraphLocator;
}

interface KnownTeam {
  id: string;
  serviceUrl: string;
}

/** How long a learnt conversation is kept without being seen again (installs are long-lived). */
const KEEP_SECONDS = 365 * 24 * 3600;
const MAX_LEARNT_TEAMS = 200;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function isNotFound(err: unknown): boolean {
  const status = (err as { status?: number }).status;
  return status === 404 || status === 403;
}

export class Conversations {
  /** Targets that could not be reached, with what to do about it (for healthCheck). */
  readonly unreachable = new Map<string, string>();

  constructor(
    private readonly cfg: TeamsConfig,
    private readonly kv: PluginKv,
    private readonly connector: WithConnector,
    private readonly log: Logger,
  ) {}

  /** Remembers what an installation or membership activity says about where the bot is. */
  async learn(activity: Activity, client: ConnectorClient | undefined): Promise<void> {
    const channelData = obj(activity.channelData);
    const serviceUrl = activity.serviceUrl;
    if (!serviceUrl) return;
    const team = obj(channelData.team);
    const teamId = str(team.id);
    // The app was removed from there: forget it, so the next delivery looks again (and waits).
    const removed = activity.type === 'installationUpdate' && /^remove/.test(String(activity.action ?? ''));
    if (teamId && removed) {
      await this.forgetTeam(teamId, str(obj(channelData.channel).id) ?? teamId);
      return;
    }
    if (teamId) {
      await this.rememberTeam({ id: teamId, serviceUrl });
      const channelId = str(obj(channelData.channel).id) ?? teamId;
      const groupId = str(team.aadGroupId);
      await this.remember(channelId, {
        conversationId: channelId,
        serviceUrl,
        kind: 'channel',
        ...(groupId ? { graph: { type: 'channel', teamGroupId: groupId, channelId } } : {}),
      });
      return;
    }
    const conversation = activity.conversation;
    if (conversation?.conversationType === 'personal' && removed) {
      const owner = await this.kv.get(`chat-owner:${conversation.id}`);
      if (owner) await this.kv.delete(`conv:${owner}`);
      return;
    }
    if (conversation?.conversationType === 'personal' && activity.from?.id && client) {
      const member = await this.memberOf(client, activity.from.id, conversation.id);
      if (member?.email) {
        await this.remember(member.email, this.personal(conversation.id, serviceUrl, member.aadObjectId));
        await this.kv.set(`chat-owner:${conversation.id}`, member.email, KEEP_SECONDS);
      }
    }
  }

  private personal(
    conversationId: string,
    serviceUrl: string,
    aadObjectId: string | undefined,
  ): Conversation {
    return {
      conversationId,
      serviceUrl,
      kind: 'personal',
      ...(aadObjectId
        ? { graph: { type: 'chat', chatId: personalChatId(aadObjectId, this.cfg.app_id) } }
        : {}),
    };
  }

  /** The member's email or UPN as Teams gives it, or undefined when Teams does not know them. */
  async emailOf(
    client: ConnectorClient,
    userId: string,
    conversationId: string,
  ): Promise<string | undefined> {
    return (await this.memberOf(client, userId, conversationId))?.email;
  }

  private async memberOf(
    client: ConnectorClient,
    userId: string,
    conversationId: string,
  ): Promise<{ id?: string; email?: string; aadObjectId?: string } | undefined> {
    try {
      const member = obj(await client.getConversationMember(userId, conversationId));
      const email = (str(member.email) ?? str(member.userPrincipalName))?.toLowerCase();
      return { id: str(member.id), email, aadObjectId: str(member.aadObjectId) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Where Graph reads a conversation's messages; for a channel given by id, found once among the
   * teams' channel lists (Graph names a team by its group id, not its Teams id).
   */
  async graphLocator(target: Target, conversation: Conversation): Promise<GraphLocator | undefined> {
    if (conversation.graph || conversation.kind !== 'channel') return conversation.graph;
    for (const team of await this.teams()) {
      const groupId = await this.connector(team.serviceUrl, "find a channel's team", async (client) => {
        try {
          const teamPath = `v3/teams/${encodeURIComponent(team.id)}`;
          const listed = obj((await client.httpClient.get(`${teamPath}/conversations`)).data);
          const channels = Array.isArray(listed.conversations) ? (listed.conversations as Json[]) : [];
          if (!channels.some((c) => c.id === conversation.conversationId)) return undefined;
          return str(obj((await client.httpClient.get(teamPath)).data).aadGroupId);
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      });
      if (groupId) {
        const graph: GraphLocator = {
          type: 'channel',
          teamGroupId: groupId,
          channelId: conversation.conversationId,
        };
        await this.remember(target.id, { ...conversation, graph });
        return graph;
      }
    }
    return undefined;
  }

  /** The conversation a target's messages go to; throws transient (retried) when not reachable yet. */
  async of(target: Target): Promise<Conversation> {
    const kind = targetKind(target);
    const known = await this.recall(target.id);
    if (known) return this.reachable(target, known);
    if (kind === 'channel') {
      // A channel id needs no lookup: post through the configured service URL; a 403/404 there
      // says the app is not installed in its team.
      return this.reachable(target, {
        conversationId: target.id,
        serviceUrl: (await this.teams())[0]?.serviceUrl ?? this.cfg.service_url,
        kind: 'channel',
      });
    }
    const found = kind === 'person' ? await this.openChat(target.id) : await this.findChannel(target);
    if (found) {
      await this.remember(target.id, found);
      return this.reachable(target, found);
    }
    const hint =
      kind === 'person'
        ? `install the accessbot app for ${target.id} (Apps → accessbot → Add) or add the app to a team they are in`
        : `add the accessbot app to the team "${String(obj(target.data).team)}" (the channel must exist)`;
    const message = `Teams target ${target.id} is not reachable yet: ${hint}`;
    this.unreachable.set(target.id, message);
    this.log.warn({ target: target.id }, message);
    throw transient(message);
  }

  /** A conversation the platform refused as unknown: forget it so the next try looks again. */
  async forget(target: Target): Promise<void> {
    await this.kv.delete(`conv:${target.id}`);
  }

  private reachable(target: Target, conversation: Conversation): Conversation {
    this.unreachable.delete(target.id);
    return conversation;
  }

  private async recall(key: string): Promise<Conversation | undefined> {
    const raw = await this.kv.get(`conv:${key}`);
    return raw ? (JSON.parse(raw) as Conversation) : undefined;
  }

  private async remember(key: string, conversation: Conversation): Promise<void> {
    await this.kv.set(`conv:${key}`, JSON.stringify(conversation), KEEP_SECONDS);
  }

  private async rememberTeam(team: KnownTeam): Promise<void> {
    const learnt = await this.learntTeams();
    if (learnt.some((t) => t.id === team.id && t.serviceUrl === team.serviceUrl)) return;
    const next = [team, ...learnt.filter((t) => t.id !== team.id)].slice(0, MAX_LEARNT_TEAMS);
    await this.kv.set('teams', JSON.stringify(next), KEEP_SECONDS);
  }

  private async forgetTeam(teamId: string, channelId: string): Promise<void> {
    const learnt = await this.learntTeams();
    await this.kv.set('teams', JSON.stringify(learnt.filter((t) => t.id !== teamId)), KEEP_SECONDS);
    await this.kv.delete(`conv:${channelId}`);
  }

  private async learntTeams(): Promise<KnownTeam[]> {
    const raw = await this.kv.get('teams');
    return raw ? (JSON.parse(raw) as KnownTeam[]) : [];
  }

  /** Teams the app is in: learnt ones first (their service URL is known), then configured ones. */
  async teams(): Promise<KnownTeam[]> {
    const learnt = await this.learntTeams();
    const configured = this.cfg.teams
      .filter((id) => !learnt.some((t) => t.id === id))
      .map((id) => ({ id, serviceUrl: this.cfg.service_url }));
    return [...learnt, ...configured];
  }

  /** Creates (or gets back: Teams answers the same id) the bot's 1:1 chat with a team member. */
  private async openChat(email: string): Promise<Conversation | undefined> {
    for (const team of await this.teams()) {
      const chat = await this.connector(team.serviceUrl, 'open a 1:1 chat', async (client) => {
        const member = await this.memberOf(client, email, team.id);
        const memberId = member?.id;
        if (!memberId) return undefined;
        const created = await client.createConversation({
          isGroup: false,
          members: [{ id: memberId }],
          agent: { id: this.cfg.app_id },
          tenantId: this.cfg.tenant_id,
          channelData: { tenant: { id: this.cfg.tenant_id } },
        } as never);
        return { id: created.id, aadObjectId: member.aadObjectId };
      });
      if (chat) return this.personal(chat.id, team.serviceUrl, chat.aadObjectId);
    }
    return undefined;
  }

  /** A channel by team and channel name, from the teams the app is in. */
  private async findChannel(target: Target): Promise<Conversation | undefined> {
    const wanted = obj(target.data);
    const teamName = String(wanted.team).toLowerCase();
    const channelName = String(wanted.channel).toLowerCase();
    for (const team of await this.teams()) {
      const channelId = await this.connector(team.serviceUrl, 'list channels', async (client) => {
        try {
          const details = obj((await client.httpClient.get(`v3/teams/${encodeURIComponent(team.id)}`)).data);
          if (str(details.name)?.toLowerCase() !== teamName) return undefined;
          const listed = obj(
            (await client.httpClient.get(`v3/teams/${encodeURIComponent(team.id)}/conversations`)).data,
          );
          const channels = Array.isArray(listed.conversations) ? (listed.conversations as Json[]) : [];
          // The General channel has no name in the listing.
          const hit = channels.find((c) => (str(c.name) ?? 'general').toLowerCase() === channelName);
          const id = str(hit?.id);
          return id ? { id, groupId: str(details.aadGroupId) } : undefined;
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      });
      if (channelId) {
        return {
          conversationId: channelId.id,
          serviceUrl: team.serviceUrl,
          kind: 'channel',
          ...(channelId.groupId
            ? { graph: { type: 'channel', teamGroupId: channelId.groupId, channelId: channelId.id } }
            : {}),
        };
      }
    }
    return undefined;
  }
}
