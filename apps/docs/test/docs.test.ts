import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApiReference, findPublicEntryPoints } from '../src/api.ts';
import { CAPTURES, captureAll, fillCapturedBlocks, maskVolatile, readCapturedBlocks } from '../src/capture.ts';
import { configPageIsCurrent, renderConfigurationPage } from '../src/config-page.ts';
import { checkLinks } from '../src/links.ts';
import { findDocFiles, parseMarkdown, readMarkdown } from '../src/markdown.ts';
import { checkSnippets, runSnippets } from '../src/snippets.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const scratch = join(root, 'apps/docs/.test-scratch');
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the documentation of this repository', () => {
  const files = findDocFiles(root).map((file) => readMarkdown(root, file));

  it('is found: README.md, the packages READMEs and docs/', () => {
    const names = files.map((f) => f.file);
    expect(names).toContain('README.md');
    expect(names).toContain('docs/configuration.md');
  });

  it('has every TypeScript/JavaScript block type-checking against the built packages', () => {
    const report = checkSnippets(
      files.flatMap((f) => f.blocks),
      join(root, 'apps/docs/.snippets'),
    );
    expect(report.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
    expect(report.checked).toBeGreaterThan(0);
    // The complete programs among them also run, and exit 0 by themselves.
    expect(report.runnable.size).toBeGreaterThan(0);
    expect(runSnippets(report).map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
  }, 180_000);

  it('has every relative link and anchor resolving', () => {
    const problems = checkLinks(root, files);
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.href}: ${p.reason}`)).toEqual([]);
  });

  it('has a configuration page equal to what the generator prints from the code', () => {
    const path = join(root, 'docs/configuration.md');
    expect(readFileSync(path, 'utf8')).toBe(renderConfigurationPage());
    expect(configPageIsCurrent(path)).toBe(true);
  });

  it('shows in the quick start what the demos print now (ids, times and measures masked)', async () => {
    const page = readFileSync(join(root, 'docs/quickstart.md'), 'utf8');
    const shown = readCapturedBlocks(page);
    expect([...shown.keys()].sort()).toEqual(CAPTURES.map((c) => c.id).sort());
    const fresh = await captureAll(root);
    for (const [id, text] of fresh) {
      expect(text.length, `capture ${id} is empty`).toBeGreaterThan(0);
      expect(maskVolatile(shown.get(id) ?? ''), `docs/quickstart.md block ${id}`).toBe(maskVolatile(text));
    }
  }, 120_000);

  it('builds the API reference with TypeDoc, warnings as errors', async () => {
    const packages = findPublicEntryPoints(root);
    expect(packages.map((p) => p.name)).toContain('@autotelemetry/core');
    const report = await buildApiReference(root, packages);
    expect(report.messages).toEqual([]);
    expect(report.ok).toBe(true);
  }, 120_000);
});

describe('each check fails on a deliberate mistake', () => {
  it('reports a snippet that does not compile, at its Markdown line', () => {
    const doc = parseMarkdown(
      'broken.md',
      [
        '# Broken',
        '',
        '```ts',
        "import { resolveConfig } from '@autotelemetry/core';",
        'const config = resolveConfig({ serviceName: 42 });',
        '```',
        '',
      ].join('\n'),
    );
    const report = checkSnippets(doc.blocks, join(scratch, 'snippets'));
    expect(report.checked).toBe(1);
    expect(report.problems.length).toBeGreaterThan(0);
    expect(report.problems[0]).toMatchObject({ file: 'broken.md', line: 5 });
    expect(report.problems[0]?.message).toMatch(/number.*string/s);
  });

  it('reports an import of something a package does not export', () => {
    const doc = parseMarkdown(
      'broken.md',
      "```ts\nimport { noSuchThing } from '@autotelemetry/core';\nnoSuchThing();\n```\n",
    );
    const report = checkSnippets(doc.blocks, join(scratch, 'snippets'));
    expect(report.problems.map((p) => p.message).join('\n')).toMatch(/noSuchThing/);
  });

  it('reports a block marked run that fails when it runs', () => {
    const doc = parseMarkdown(
      'run.md',
      "```ts run\nconst n: number = 1;\nif (n === 1) throw new Error('boom at run time');\n```\n",
    );
    const report = checkSnippets(doc.blocks, join(scratch, 'snippets'));
    expect(report.problems).toEqual([]);
    const problems = runSnippets(report);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'run.md', line: 1 });
    expect(problems[0]?.message).toMatch(/boom at run time/);
  });

  it('skips only blocks marked skip-check, and says so', () => {
    const doc = parseMarkdown('skip.md', '```ts skip-check\nthis is not code\n```\n\n```sh\nnpm test\n```\n');
    const report = checkSnippets(doc.blocks, join(scratch, 'snippets'));
    expect(report.checked).toBe(0);
    expect(report.skipped).toHaveLength(1);
    expect(report.problems).toEqual([]);
  });

  it('reports a missing file and a missing anchor', () => {
    const dir = join(scratch, 'links');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    writeFileSync(join(dir, 'docs/target.md'), '# Target page\n\n## Real section\n');
    const source = parseMarkdown(
      'docs/source.md',
      [
        '# Source',
        '',
        '[ok](target.md#real-section) [ok too](#source)',
        '[gone](missing.md)',
        '[bad anchor](target.md#no-such-section)',
        '',
      ].join('\n'),
    );
    const problems = checkLinks(dir, [source]);
    expect(problems.map((p) => [p.href, p.line])).toEqual([
      ['missing.md', 4],
      ['target.md#no-such-section', 5],
    ]);
  });

  it('fails the API reference on an undocumented export and on a broken {@link}', async () => {
    const dir = join(scratch, 'api');
    const pkg = join(dir, 'packages/fixture');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.base.json'), readFileSync(join(root, 'tsconfig.base.json')));
    writeFileSync(
      join(pkg, 'src/index.ts'),
      [
        '/** Documented, but links to {@link NoSuchSymbol}. */',
        'export const documented = 1;',
        'export function undocumented(): number {',
        '  return 2;',
        '}',
        '',
      ].join('\n'),
    );
    const report = await buildApiReference(
      dir,
      [{ name: '@fixture/pkg', dir: pkg, entryPoints: [join(pkg, 'src/index.ts')] }],
      undefined,
      dir,
    );
    expect(report.ok).toBe(false);
    const text = report.messages.join('\n');
    expect(text).toMatch(/undocumented.*does not have any documentation/);
    expect(text).toMatch(/NoSuchSymbol/);
  }, 60_000);

  it('detects captured output that no longer matches, and rewrites only captured blocks', () => {
    const page =
      '# Page\n\n<!-- capture:a -->\n```text\nspan x 1.5ms trace_id=0123456789abcdef0123456789abcdef\n```\n<!-- /capture -->\n\nprose\n\n<!-- capture:b -->\n```json\n```\n<!-- /capture -->\n';
    const shown = readCapturedBlocks(page);
    expect(shown.get('b')).toBe('');
    expect(maskVolatile(shown.get('a') ?? '')).toBe(
      maskVolatile('span x 2.25ms trace_id=fedcba9876543210fedcba9876543210'),
    );
    expect(maskVolatile(shown.get('a') ?? '')).not.toBe(
      maskVolatile('span y 2.25ms trace_id=fedcba9876543210fedcba9876543210'),
    );
    const filled = fillCapturedBlocks(page, new Map([['b', '{"ok":true}']]));
    expect(filled).toContain('prose');
    expect(readCapturedBlocks(filled).get('b')).toBe('{"ok":true}');
    expect(readCapturedBlocks(filled).get('a')).toBe(shown.get('a'));
  });

  it('detects a configuration page that drifted from the code', () => {
    const path = join(scratch, 'configuration.md');
    writeFileSync(path, renderConfigurationPage().replace('`OTEL_SERVICE_NAME`', '`SERVICE_NAME`'));
    expect(configPageIsCurrent(path)).toBe(false);
    writeFileSync(path, renderConfigurationPage());
    expect(configPageIsCurrent(path)).toBe(true);
  });
});
