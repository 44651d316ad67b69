import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Test files that compare latencies under load: they run alone, after every other file, so that another
 * file's load (the benchmark smoke run, child-process suites) cannot be mistaken for the slowdown they
 * look for. Paths are relative to their package folder.
 */
const MEASURING_ALONE: Readonly<Record<string, readonly string[]>> = {
  express: ['test/reliability-collector.test.ts'],
};

const common = { testTimeout: 30_000, hookTimeout: 30_000 } as const;

// One project per workspace package or app that has a `test/` folder, plus one for the files above.
const projects = ['packages', 'apps']
  .filter((group) => existsSync(group))
  .flatMap((group) =>
    readdirSync(group, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(`${group}/${entry.name}/test`))
      .map((entry) => ({
        test: {
          ...common,
          name: entry.name,
          root: `${group}/${entry.name}`,
          include: ['test/**/*.test.ts'],
          exclude: [...(MEASURING_ALONE[entry.name] ?? []), '**/node_modules/**'],
        },
      })),
  );

for (const [name, files] of Object.entries(MEASURING_ALONE)) {
  projects.push({
    test: {
      ...common,
      name: `${name}:alone`,
      root: `packages/${name}`,
      include: [...files],
      exclude: ['**/node_modules/**'],
      // After every project of group 0, one file at a time.
      sequence: { groupOrder: 1 },
      fileParallelism: false,
    } as (typeof projects)[number]['test'],
  });
}

export default defineConfig({
  test: {
    projects,
    reporters: ['default'],
  },
});
