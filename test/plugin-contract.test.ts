// The plugin boundary, enforced: a plugin imports nothing of ours but the plugin SDK, host
// code never names a plugin, and every discovered plugin meets the shared contract
// (id = folder, its documented example config parses, capabilities match its methods).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadPluginDefinitions } from '../src/config/plugin-discovery.js';
import { PLUGIN_HOST_KEYS } from '../src/config/schema.js';
import { capabilitiesOf, type PluginContext, type PluginDefinition } from '../src/plugin-sdk/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const PLUGINS = join(ROOT, 'plugins');
const SDK_ENTRY = join(ROOT, 'src', 'plugin-sdk', 'index.js');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...tsFiles(full));
    } else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Module specifiers (static, dynamic, re-exports) and every string literal of a source file. */
function scan(file: string): { imports: string[]; strings: string[] } {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const imports: string[] = [];
  const strings: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      imports.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      imports.push(arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed>');
    } else if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require'
    ) {
      const arg = node.arguments[0];
      imports.push(arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed>');
    }
    // `'email' in query` tests for a property; it does not name the email plugin.
    const propertyTest =
      node.parent !== undefined &&
      ts.isBinaryExpression(node.parent) &&
      node.parent.operatorToken.kind === ts.SyntaxKind.InKeyword &&
      node.parent.left === node;
    if (
      (ts.isStringLiteralLike(node) && !propertyTest) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      strings.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, strings };
}

const pluginIds = existsSync(PLUGINS)
  ? readdirSync(PLUGINS, { withFileTypes: true })
      .filter(
        (e) => e.isDirectory() && ['index.ts', 'index.js'].some((f) => existsSync(join(PLUGINS, e.name, f))),
      )
      .map((e) => e.name)
      .sort()
  : [];

describe('plugin boundary', () => {
  it('finds the plugins to check', () => {
    expect(pluginIds).toContain('webhook');
  });

  it.each(pluginIds)('plugins/%s imports only the plugin SDK, its own files, builtins and packages', (id) => {
    const folder = join(PLUGINS, id);
    const offences: string[] = [];
    for (const file of tsFiles(folder).filter(
      (f) => !/\.test\.[mc]?[tj]s$/.test(f) && !f.includes(`${sep}test-`),
    )) {
      for (const spec of scan(file).imports) {
        if (spec === '<computed>') {
          offences.push(`${relative(ROOT, file)}: computed import`);
          continue;
        }
        if (!spec.startsWith('.') && !spec.startsWith('/')) continue; // builtin or package
        const target = resolve(dirname(file), spec);
        const inside = target === folder || target.startsWith(folder + sep);
        if (!inside && target !== SDK_ENTRY) offences.push(`${relative(ROOT, file)}: ${spec}`);
      }
    }
    expect(offences, 'plugins may import only ../../src/plugin-sdk/index.js').toEqual([]);
  });

  it('host code under src/ never names a plugin', () => {
    const offences: string[] = [];
    for (const file of tsFiles(join(ROOT, 'src'))) {
      const { imports, strings } = scan(file);
      for (const spec of imports)
        if (/(^|\/)plugins\/[^/]/.test(spec) && !spec.endsWith('plugins/'))
          offences.push(`${relative(ROOT, file)} imports ${spec}`);
      for (const text of strings) {
        for (const id of pluginIds) {
          if (text === id || text.includes(`plugins/${id}`))
            offences.push(`${relative(ROOT, file)} names "${id}" in '${text}'`);
        }
      }
    }
    expect(offences).toEqual([]);
  });
});

/** The first ```yaml block of the plugin's README that holds `plugins: { <id>: ... }`. */
function documentedExample(id: string): Record<string, unknown> | undefined {
  const readme = join(PLUGINS, id, 'README.md');
  if (!existsSync(readme)) return undefined;
  for (const match of readFileSync(readme, 'utf8').matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    for (const doc of parseAllDocuments(match[1]!)) {
      const value = doc.toJS() as { plugins?: Record<string, unknown> } | null;
      const block = value?.plugins?.[id];
      if (block && typeof block === 'object') return block as Record<string, unknown>;
    }
  }
  return undefined;
}

describe('plugin contract', () => {
  let definitions: Map<string, PluginDefinition>;
  beforeAll(async () => {
    definitions = await loadPluginDefinitions(PLUGINS);
  });

  it('discovers every plugin folder', () => {
    expect([...definitions.keys()].sort()).toEqual(pluginIds);
  });

  it.each(pluginIds)('%s: README documents an example config that its schema accepts', (id) => {
    const def = definitions.get(id)!;
    expect(def.id).toBe(id);
    const example = documentedExample(id);
    expect(
      example,
      `plugins/${id}/README.md needs a \`\`\`yaml block with plugins: { ${id}: ... }`,
    ).toBeDefined();
    const settings = { ...example };
    for (const key of PLUGIN_HOST_KEYS) delete settings[key];
    const parsed = def.configSchema.safeParse(settings);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(
      [],
    );
  });

  it.each(pluginIds)('%s: implements the contract, capabilities derived from its methods', async (id) => {
    const def = definitions.get(id)!;
    const settings = { ...documentedExample(id) };
    for (const key of PLUGIN_HOST_KEYS) delete settings[key];
    const kv = new Map<string, string>();
    const ctx: PluginContext<unknown> = {
      id,
      config: def.configSchema.parse(settings),
      log: { debug() {}, info() {}, warn() {}, error() {} },
      kv: {
        get: async (k) => kv.get(k) ?? null,
        set: async (k, v) => void kv.set(k, v),
        setIfAbsent: async (k, v) => {
          if (kv.has(k)) return false;
          kv.set(k, v);
          return true;
        },
        delete: async (k) => void kv.delete(k),
      },
      publicUrl: 'http://127.0.0.1:1',
      decide: async () => ({ kind: 'error', message: 'contract test' }),
      getCard: async () => null,
    };
    const instance = await def.create(ctx);
    try {
      expect(typeof instance.deliver).toBe('function');
      expect(typeof instance.update).toBe('function');
      expect(typeof instance.resolveRecipient).toBe('function');
      expect(typeof instance.healthCheck).toBe('function');
      // Capabilities are not declared: the host reads them off the methods.
      expect(capabilitiesOf(def, instance)).toMatchObject({
        threadedReplies: typeof instance.reply === 'function',
        reminders: typeof instance.remind === 'function',
        outcomeNotices: typeof instance.notifyOutcome === 'function',
        autoReview: typeof instance.autoReview === 'function' || instance.onCall !== undefined,
        onCall: instance.onCall !== undefined,
        inboundDecisions: (instance.routes?.() ?? []).length > 0,
      });
      // The config loader accepts `auto_approval` by the trait, before any instance exists.
      expect(def.traits?.onCall === true, 'traits.onCall matches the instance offering onCall').toBe(
        instance.onCall !== undefined,
      );
      if (instance.onCall) {
        expect(instance.onCall.label).not.toBe('');
        expect(instance.onCall.scopeAnnotation).not.toBe('');
        expect(typeof instance.onCall.shiftsOf).toBe('function');
      }
      expect(Object.keys(def).sort()).toEqual(
        [
          'configSchema',
          'create',
          'description',
          'id',
          ...(def.traits ? ['traits'] : []),
          ...(def.commands ? ['commands'] : []),
        ].sort(),
      );
      // CLI commands (`accessbot <id> <name>`) are plain data the CLI can turn into flags.
      for (const command of def.commands ?? []) {
        expect(command.name).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(command.description).not.toBe('');
        expect(typeof command.run).toBe('function');
        for (const option of command.options ?? []) {
          expect(option.name).toMatch(/^[a-z][a-z0-9-]*$/);
          if (!option.value) expect(option.required ?? option.default).toBeUndefined();
        }
      }
      for (const route of instance.routes?.() ?? []) {
        expect(['GET', 'POST', 'PUT']).toContain(route.method);
        expect(route.path.startsWith('/')).toBe(true);
      }
    } finally {
      await instance.close?.();
    }
  });
});
