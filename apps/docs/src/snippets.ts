/**
 * Type-checks the TypeScript and JavaScript code blocks of the documentation against the built packages,
 * exactly as a user's editor would see them: each block is written out as its own module inside this
 * workspace package (so `@autotelemetry/*` and the frameworks resolve through its dependencies) and the
 * whole set is compiled once with strict options.
 *
 * Conventions for authors: a block is a complete module (its imports included). Add `cjs` after the
 * language to check it as CommonJS, `run` to also run it (it must exit 0 by itself). A block that is not meant to compile (a shell session shown as `ts`,
 * a fragment) says `skip-check` and is listed as skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { CodeBlock } from './markdown.ts';

const CHECKED_LANGS = new Map([
  ['ts', 'ts'],
  ['typescript', 'ts'],
  ['js', 'js'],
  ['javascript', 'js'],
  ['mjs', 'js'],
  ['cjs', 'js'],
]);

/** A compile error, mapped back to its Markdown file and line. */
export interface SnippetProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** The outcome of a snippet check. */
export interface SnippetReport {
  readonly checked: number;
  readonly skipped: readonly CodeBlock[];
  readonly problems: readonly SnippetProblem[];
  /** Files written for the blocks marked `run`, with their blocks. */
  readonly runnable: ReadonlyMap<string, CodeBlock>;
}

/**
 * Runs the blocks marked `run` (written by {@link checkSnippets}) with this Node, which strips their types;
 * a block that does not exit 0 within the time limit is a problem.
 */
export function runSnippets(report: SnippetReport, timeoutMs = 60_000): SnippetProblem[] {
  const problems: SnippetProblem[] = [];
  for (const [path, block] of report.runnable) {
    const result = spawnSync(process.execPath, [path], {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, AUTOTELEMETRY_PROMETHEUS_PORT: 'false' },
    });
    if (result.status !== 0) {
      const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
      problems.push({
        file: block.file,
        line: block.line,
        message: `running it failed (${why}): ${result.stderr.slice(-800)}`,
      });
    }
  }
  return problems;
}

/** Whether a block is TypeScript or JavaScript, i.e. something this check compiles. */
export function isCodeBlock(block: CodeBlock): boolean {
  return CHECKED_LANGS.has(block.lang);
}

/**
 * Compiles the code blocks. `workDir` must be a folder inside a package whose dependencies include every
 * package the snippets import; it is emptied and refilled.
 */
export function checkSnippets(blocks: readonly CodeBlock[], workDir: string): SnippetReport {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const skipped: CodeBlock[] = [];
  const byPath = new Map<string, CodeBlock>();
  const runnable = new Map<string, CodeBlock>();
  for (const block of blocks) {
    const kind = CHECKED_LANGS.get(block.lang);
    if (!kind) continue;
    if (block.flags.includes('skip-check')) {
      skipped.push(block);
      continue;
    }
    const commonjs = block.lang === 'cjs' || block.flags.includes('cjs');
    const extension = kind === 'ts' ? (commonjs ? '.cts' : '.mts') : commonjs ? '.cjs' : '.mjs';
    const name = `${block.file.replace(/[^a-zA-Z0-9]+/g, '_')}_L${block.line}${extension}`;
    const path = join(workDir, name);
    // A trailing `export {}` makes even an import-less block a module, so blocks never share a scope.
    const suffix = commonjs ? '' : '\nexport {};\n';
    writeFileSync(path, `${block.code}${suffix}`);
    byPath.set(path, block);
    if (block.flags.includes('run')) runnable.set(path, block);
  }

  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowJs: true,
    checkJs: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    types: ['node'],
  };
  const program = ts.createProgram([...byPath.keys()], options);
  const problems: SnippetProblem[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const source = diagnostic.file;
    const block = source ? byPath.get(source.fileName) : undefined;
    if (!source || !block) {
      problems.push({ file: source?.fileName ?? '(compiler)', line: 0, message });
      continue;
    }
    const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    problems.push({ file: block.file, line: block.line + 1 + line, message });
  }
  return { checked: byPath.size, skipped, problems, runnable };
}
