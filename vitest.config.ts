import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One project per workspace package or app that has a `test/` folder.
const projects = ['packages', 'apps']
  .filter((group) => existsSync(group))
  .flatMap((group) =>
    readdirSync(group, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(`${group}/${entry.name}/test`))
      .map((entry) => ({
        test: {
          name: entry.name,
          root: `${group}/${entry.name}`,
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      })),
  );

export default defineConfig({
  test: {
    projects,
    reporters: ['default'],
  },
});
