/**
 * Checks that every relative link of the documentation points at a file that exists and, when it names an
 * anchor, at a heading (or explicit anchor) that the target Markdown file has.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { type MarkdownFile, readMarkdown } from './markdown.ts';

/** One broken link: where it is and why. */
export interface LinkProblem {
  readonly file: string;
  readonly line: number;
  readonly href: string;
  readonly reason: string;
}

/** Checks the links of the given parsed files; other Markdown targets are read from disk as needed. */
export function checkLinks(root: string, files: readonly MarkdownFile[]): LinkProblem[] {
  const parsed = new Map(files.map((f) => [f.file, f]));
  const problems: LinkProblem[] = [];
  for (const file of files) {
    for (const link of file.links) {
      const [rawPath = '', rawAnchor] = link.href.split('#', 2);
      const path = decodeURIComponent(rawPath.split('?')[0] ?? '');
      const target = path === '' ? file.file : normalize(join(dirname(file.file), path));
      if (target.startsWith('..')) {
        problems.push({ ...link, reason: 'points outside the repository' });
        continue;
      }
      const absolute = join(root, target);
      if (!parsed.has(target) && !existsSync(absolute)) {
        problems.push({ ...link, reason: `no such file: ${target}` });
        continue;
      }
      if (rawAnchor === undefined || rawAnchor === '') continue;
      if (!target.endsWith('.md') || (!parsed.has(target) && statSync(absolute).isDirectory())) {
        problems.push({ ...link, reason: `anchor #${rawAnchor} on a file that is not Markdown` });
        continue;
      }
      let targetFile = parsed.get(target);
      if (!targetFile) {
        targetFile = readMarkdown(root, target);
        parsed.set(target, targetFile);
      }
      const anchor = decodeURIComponent(rawAnchor);
      if (!targetFile.anchors.has(anchor)) {
        problems.push({ ...link, reason: `no heading with anchor #${anchor} in ${target}` });
      }
    }
  }
  return problems;
}
