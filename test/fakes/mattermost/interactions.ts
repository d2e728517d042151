// The server side of Mattermost's interactive messages and dialogs, as the fake relays them:
// a click on a post's button is POSTed to the action's integration URL with the context the
// server stored (`DoPostAction`), the integration's answer applied (`update` replaces the
// post, `ephemeral_text` is shown to the clicker); a dialog submission is POSTed to the dialog's
// URL with the submitting session's user id (`SubmitInteractiveDialog`).

import { FakeMattermost, type FakePost, newId, type OpenedDialog } from './server.js';

type Json = Record<string, unknown>;

export interface RelayAnswer {
  /** What the server answers the person's client: 200, or the error it shows. */
  status: number;
  /** The integration's own HTTP status (undefined when the server never reached it). */
  integrationStatus?: number;
  /** The integration's JSON answer. */
  json?: Json;
  /** Text the person is shown: an ephemeral post, a dialog error, or the server's error. */
  shown: string;
}

export function actionsOf(post: FakePost): Json[] {
  return ((post.props.attachments as Json[] | undefined) ?? []).flatMap(
    (a) => (a.actions as Json[] | undefined) ?? [],
  );
}

/** The action ids a person sees on a post right now. */
export function actionIds(post: FakePost): string[] {
  return actionsOf(post).map((a) => String(a.id));
}

/** The click body the server builds (`PostActionIntegrationRequest`). */
export function clickBody(
  fake: FakeMattermost,
  post: FakePost,
  userId: string,
  context: unknown,
  triggerId = fake.issueTrigger(userId, post.channel_id),
): Json {
  const channel = fake.channels.get(post.channel_id);
  const team = [...fake.teams.entries()].find(([, id]) => id === channel?.teamId);
  return {
    user_id: userId,
    user_name: fake.users.get(userId)?.username ?? '',
    channel_id: post.channel_id,
    channel_name: channel?.name ?? '',
    team_id: channel?.teamId ?? '',
    team_domain: team?.[0] ?? '',
    post_id: post.id,
    trigger_id: triggerId,
    type: '',
    data_source: '',
    context,
  };
}

/** `username` clicks the button `actionId` on `post`, through the server. */
export async function click(
  fake: FakeMattermost,
  post: FakePost,
  username: string,
  actionId: string,
): Promise<RelayAnswer> {
  const user = fake.userByName(username);
  const action = actionsOf(post).find((a) => a.id === actionId);
  // The server looks the action up by id; ids that are not alphanumeric are never found.
  if (!action || !FakeMattermost.clickableId(action.id)) {
    return { status: 404, shown: 'Unable to find the action.' };
  }
  const channel = fake.channels.get(post.channel_id);
  if (channel?.type === 'D' && !channel.members.has(user.id)) {
    return { status: 403, shown: 'You do not have the appropriate permissions.' };
  }
  const integration = (action.integration ?? {}) as Json;
  const answer = await relay(
    fake,
    String(integration.url ?? ''),
    clickBody(fake, post, user.id, integration.context),
  );
  if (answer.status !== 200) return answer;
  const stored = fake.postById(post.id);
  if (answer.json?.update && typeof answer.json.update === 'object' && stored) {
    fake.applyUpdate(stored, answer.json.update as Json);
  }
  const ephemeral = typeof answer.json?.ephemeral_text === 'string' ? answer.json.ephemeral_text : '';
  if (ephemeral) fake.addEphemeral(user.id, post.channel_id, ephemeral);
  return { ...answer, shown: ephemeral };
}

/** `username` submits `opened` with `submission` (or cancels it), through the server. */
export async function submitDialog(
  fake: FakeMattermost,
  opened: OpenedDialog,
  username: string,
  submission: Json,
  opts: { cancelled?: boolean; state?: string } = {},
): Promise<RelayAnswer> {
  const user = fake.userByName(username);
  const channel = fake.channels.get(opened.channelId);
  const body = {
    type: 'dialog_submission',
    callback_id: opened.dialog.callback_id,
    state: opts.state ?? opened.dialog.state,
    user_id: user.id,
    channel_id: opened.channelId,
    team_id: channel?.teamId ?? '',
    submission: opts.cancelled ? {} : submission,
    cancelled: opts.cancelled ?? false,
  };
  const answer = await relay(fake, opened.url, body);
  if (answer.status !== 200) return answer;
  const errors = answer.json?.errors as Record<string, string> | undefined;
  const shown =
    typeof answer.json?.error === 'string'
      ? answer.json.error
      : errors
        ? Object.values(errors).join('; ')
        : '';
  return { ...answer, shown };
}

async function relay(fake: FakeMattermost, url: string, body: Json): Promise<RelayAnswer> {
  try {
    const res = await fake.postToIntegration(url, body);
    if (res.status !== 200) {
      // The server shows the person a generic error; the integration's answer is only logged.
      return {
        status: 400,
        integrationStatus: res.status,
        ...(res.json ? { json: res.json } : {}),
        shown: 'Unable to complete the action.',
      };
    }
    return { status: 200, integrationStatus: 200, ...(res.json ? { json: res.json } : {}), shown: '' };
  } catch (err) {
    return { status: 400, shown: (err as Error).message };
  }
}

/** A POST straight to an integration URL, not through the server (what a forger can do). */
export async function postDirect(
  url: string,
  body: Json,
): Promise<{ status: number; json: Json | undefined }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

export { newId };
