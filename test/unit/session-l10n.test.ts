// Every user-facing string of the commands, session, settings and side view has a Simplified
// Chinese translation with the same placeholders, and the manifest's %keys% exist in both languages.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/extension/runFeed';
import { ROOT } from './helpers';

const FILES = [
  'settings.ts',
  'settingsHost.ts',
  'session.ts',
  'sessionFormat.ts',
  'recipesPick.ts',
  'commands.ts',
  'commandsModel.ts',
  'commandsClassify.ts',
  'commandsTrainModel.ts',
  'engineFactory.ts',
  'sideView/state.ts',
  'sideView/provider.ts',
];
const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('session, commands and side view: Simplified Chinese for every string', () => {
  const zh = JSON.parse(readFileSync(join(ROOT, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
  const literals = FILES.flatMap((f) =>
    [
      ...readFileSync(join(ROOT, 'src', 'extension', f), 'utf8').matchAll(
        /(?:l10n\.t|\bt)\(\s*(['"])((?:\\.|(?!\1).)*)\1/g,
      ),
    ].map((m) => m[2].replace(/\\(['"])/g, '$1')),
  );

  it('each l10n.t / t literal is translated with the same placeholders', () => {
    assert.ok(literals.length >= 80, `found ${literals.length} literals`);
    for (const en of literals) {
      assert.ok(en in zh, `missing zh-cn for "${en}"`);
      assert.deepEqual(placeholders(zh[en]), placeholders(en), en);
    }
  });

  it("uses the article's terms", () => {
    assert.equal(zh['Global average pooling'], '全局平均池化层');
    assert.match(
      zh['{0}×{0} conv (stride {1}, padding {2}) → 1×1 conv → 1×1 conv, {3} channels, each with ReLU'],
      /1×1卷积/,
    );
    assert.match(zh['Max pooling {0}'], /池化/);
    assert.equal(zh.Dropout, 'Dropout');
  });

  it('every command, view and setting title is a %key% present in package.nls.json and package.nls.zh-cn.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const en = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const cn = JSON.parse(readFileSync(join(ROOT, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
    const keyOf = (v: unknown) => (typeof v === 'string' ? /^%(.+)%$/.exec(v)?.[1] : undefined);
    const keys: (string | undefined)[] = [
      ...pkg.contributes.commands.map((c: { title: string }) => keyOf(c.title)),
      ...pkg.contributes.viewsContainers.activitybar.map((c: { title: string }) => keyOf(c.title)),
      ...pkg.contributes.views.nin.map((v: { name: string }) => keyOf(v.name)),
      ...Object.values(
        pkg.contributes.configuration.properties as Record<
          string,
          { markdownDescription?: string; description?: string }
        >,
      ).map((p) => keyOf(p.markdownDescription ?? p.description)),
    ];
    for (const k of keys) {
      assert.ok(k, 'a literal title or description is not localized');
      assert.ok(en[k] && cn[k], k);
    }
  });
});

describe('manifest: commands, views and activation', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  it('every command ID is contributed in category NiN and activates the extension lazily', () => {
    const contributed = new Map<string, { category?: string }>(
      pkg.contributes.commands.map((c: { command: string }) => [c.command, c]),
    );
    for (const id of Object.values(COMMANDS) as string[]) {
      assert.equal(contributed.get(id)?.category, 'NiN', id);
      if (id !== 'nin.setInputShape') assert.ok(pkg.activationEvents.includes(`onCommand:${id}`), id);
    }
    assert.ok(pkg.activationEvents.includes('onView:nin.architecture'));
    assert.ok(!pkg.activationEvents.includes('*'), 'never activate on startup');
    assert.equal(pkg.contributes.keybindings, undefined, 'keybinding-free');
    const hidden = pkg.contributes.menus.commandPalette.find(
      (m: { command: string }) => m.command === 'nin.revealBlock',
    );
    assert.equal(hidden?.when, 'false');
  });
  it('the architecture view lives in its own activity-bar container with the NiN icon', () => {
    assert.deepEqual(
      pkg.contributes.viewsContainers.activitybar.map((c: { id: string; icon: string }) => [c.id, c.icon]),
      [['nin', 'media/nin.svg']],
    );
    assert.deepEqual(
      pkg.contributes.views.nin.map((v: { id: string; type: string }) => [v.id, v.type]),
      [['nin.architecture', 'webview']],
    );
    assert.equal(pkg.icon, 'media/icon.png');
  });
});
