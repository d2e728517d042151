// Which page `<public_url>/sign-in` leads to: the one a plugin declares (traits.signInPage),
// so login links and step-up answers name no plugin. Pages are public only under
// host.public_url; without it there is none.

import type { ActivePlugin } from '../activation/active-plugins.js';

export function signInPageOf(
  plugins: Iterable<ActivePlugin>,
  publicUrl: string | undefined,
): string | undefined {
  if (!publicUrl) return undefined;
  for (const plugin of plugins) {
    const page = plugin.definition.traits?.signInPage;
    // Only a plugin that is running its routes can serve it (the first one declared wins).
    if (page && (plugin.instance.routes?.().length ?? 0) > 0)
      return `${publicUrl.replace(/\/+$/, '')}/hooks/${plugin.id}${page}`;
  }
  return undefined;
}
