/**
 * `node src/cli.ts check` runs every documentation check and exits non-zero on a problem;
 * `node src/cli.ts config-page` rewrites docs/configuration.md; `node src/cli.ts capture` re-runs the demos
 * and rewrites the captured output in the quick start; `node src/cli.ts api [outDir]` builds the API reference.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApiReference, findPublicEntryPoints } from './api.ts';
import { updateCapturedPages } from './capture.ts';
import { renderConfigurationPage } from './config-page.ts';
import { checkLinks } from './links.ts';
import { findDocFiles, readMarkdown } from './markdown.ts';
import { checkSnippets, runSnippets } from './snippets.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** Pages with `<!-- capture:ID -->` blocks. */
const CAPTURED_PAGES = ['docs/quickstart.md'];
const [command = 'check', arg] = process.argv.slice(2);

if (command === 'config-page') {
  writeFileSync(join(root, 'docs', 'configuration.md'), renderConfigurationPage());
  console.log('docs/configuration.md written');
} else if (command === 'capture') {
  const changed = await updateCapturedPages(root, CAPTURED_PAGES);
  console.log(changed.length > 0 ? `captured output updated in ${changed.join(', ')}` : 'captured output unchanged');
} else if (command === 'api') {
  const report = await buildApiReference(root, findPublicEntryPoints(root), arg ?? join(root, 'apps/docs/dist/api'));
  console.log(
    report.ok ? 'API reference built' : `API reference: ${report.errors} errors, ${report.warnings} warnings`,
  );
  process.exitCode = report.ok ? 0 : 1;
} else if (command === 'check') {
  const files = findDocFiles(root).map((file) => readMarkdown(root, file));
  const snippets = checkSnippets(
    files.flatMap((f) => f.blocks),
    join(root, 'apps/docs/.snippets'),
  );
  const ran = snippets.problems.length === 0 ? runSnippets(snippets) : [];
  for (const p of [...snippets.problems, ...ran]) console.error(`${p.file}:${p.line}: ${p.message}`);
  const links = checkLinks(root, files);
  for (const p of links) console.error(`${p.file}:${p.line}: broken link ${p.href}: ${p.reason}`);
  console.log(
    `${snippets.checked} snippets checked (${snippets.skipped.length} skipped), ${links.length} broken links`,
  );
  process.exitCode = snippets.problems.length + ran.length + links.length > 0 ? 1 : 0;
} else {
  console.error('usage: node src/cli.ts check | config-page | capture | api [outDir]');
  process.exitCode = 2;
}
