/**
 * Reads the project's Markdown: which files are documentation, their code blocks, headings and links.
 * Parsing is markdown-it's (the CommonMark parser TypeDoc also uses), so what counts as a fence, a heading
 * or a link is what a renderer sees, not what a regular expression guesses.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: true, linkify: false });

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** File, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's language tag, lower case (`ts`, `js`, `sh`, …). */
  readonly lang: string;
  /** Words after the language tag, e.g. `ts cjs` or `ts skip-check`. */
  readonly flags: readonly string[];
  readonly code: string;
}

/** A relative link found in a Markdown file. */
export interface MarkdownLink {
  readonly file: string;
  readonly line: number;
  readonly href: string;
}

/** What one Markdown file holds. */
export interface MarkdownFile {
  readonly file: string;
  readonly blocks: readonly CodeBlock[];
  readonly links: readonly MarkdownLink[];
  /** GitHub-style anchors of the file's headings (and explicit `id`/`name` anchors). */
  readonly anchors: ReadonlySet<string>;
}

/** The documentation files of the repository: README.md, each package's README.md, and docs/**.md. */
export function findDocFiles(root: string): string[] {
  const files: string[] = [];
  if (existsSync(join(root, 'README.md'))) files.push('README.md');
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (existsSync(join(dir, name, 'README.md'))) files.push(`${group}/${name}/README.md`);
    }
  }
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'api' && entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.md')) {
        files.push(relative(root, path));
      }
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  return files;
}

/** Parses one Markdown text. */
export function parseMarkdown(file: string, text: string): MarkdownFile {
  const tokens = md.parse(text, {});
  const blocks: CodeBlock[] = [];
  const links: MarkdownLink[] = [];
  const anchors = new Set<string>();
  const slugger = new GithubSlugger();

  const textLines = text.split('\n');
  // An inline token's map spans its whole paragraph (and table cells have none): find the link's own line.
  const lineOf = (needle: string, map: [number, number] | null): number => {
    const from = map?.[0] ?? 0;
    const to = map?.[1] ?? textLines.length;
    for (let i = from; i < to; i++) if (textLines[i]?.includes(needle)) return i + 1;
    const anywhere = textLines.findIndex((l) => l.includes(needle));
    return anywhere >= 0 ? anywhere + 1 : from + 1;
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const line = (token.map?.[0] ?? 0) + 1;
    if (token.type === 'fence') {
      const [lang = '', ...flags] = token.info.trim().split(/\s+/);
      blocks.push({ file, line, lang: lang.toLowerCase(), flags, code: token.content });
    } else if (token.type === 'heading_open') {
      const inline = tokens[i + 1];
      const title = (inline?.children ?? [])
        .filter((child) => child.type === 'text' || child.type === 'code_inline')
        .map((child) => child.content)
        .join('');
      anchors.add(slugger.slug(title));
    } else if (token.type === 'inline') {
      for (const child of token.children ?? []) {
        if (child.type === 'link_open') {
          const href = child.attrGet('href') ?? '';
          if (isRelative(href)) links.push({ file, line: lineOf(`](${href}`, token.map), href });
        } else if (child.type === 'html_inline') {
          for (const m of child.content.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
        }
      }
    } else if (token.type === 'html_block') {
      for (const m of token.content.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
    }
  }
  return { file, blocks, links, anchors };
}

function isRelative(href: string): boolean {
  return href !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('//');
}

/** Reads and parses a repository-relative Markdown file. */
export function readMarkdown(root: string, file: string): MarkdownFile {
  return parseMarkdown(file, readFileSync(join(root, file), 'utf8'));
}
