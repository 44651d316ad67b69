/**
 * Crafted service projects for the doctor's tests: a package.json, an entry file, and a node_modules
 * tree of package manifests (the doctor reads manifests and sources; it never runs the project).
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Files to write (path → content; objects are written as JSON) and symlinks (path → target). */
export interface ProjectSpec {
  readonly files: Readonly<Record<string, string | object>>;
  readonly symlinks?: Readonly<Record<string, string>>;
  readonly executables?: readonly string[];
}

/** Writes a project under `root`. */
export function writeProject(root: string, spec: ProjectSpec): string {
  for (const [path, content] of Object.entries(spec.files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  for (const [path, target] of Object.entries(spec.symlinks ?? {})) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    symlinkSync(target, full, 'dir');
  }
  for (const path of spec.executables ?? []) chmodSync(join(root, path), 0o755);
  return root;
}

/** The manifest of an installed package. */
export function manifest(name: string, version: string, extra: object = {}): Record<string, object> {
  return { [`node_modules/${name}/package.json`]: { name, version, ...extra } };
}

/** A healthy Express service using the AutoTelemetry adapter, ESM, one copy of the API. */
export function healthyExpressProject(): ProjectSpec {
  return {
    files: {
      'package.json': {
        name: 'shop.api',
        version: '1.4.2',
        type: 'module',
        engines: { node: '>=22.15.0' },
        scripts: { start: 'node server.js' },
        dependencies: {
          '@autotelemetry/express': '0.1.0',
          '@opentelemetry/api': '1.10.0',
          express: '5.1.0',
        },
      },
      '.nvmrc': '24\n',
      'server.js': [
        "import express from 'express';",
        "import { autotelemetry } from '@autotelemetry/express';",
        '',
        'const app = express();',
        "// autotelemetry({ serviceName: 'commented.out' }) must not count",
        "app.use(autotelemetry({ serviceName: 'shop.api', accessLog: 'auto' }));",
        "app.get('/orders/:id', (req, res) => res.json({ id: req.params.id }));",
        'app.listen(3000);',
        '',
      ].join('\n'),
      ...manifest('@autotelemetry/express', '0.1.0', {
        dependencies: { '@autotelemetry/core': '0.1.0' },
        peerDependencies: { '@opentelemetry/api': '^1.9.0', express: '^4.17.0 || ^5.0.0' },
      }),
      ...manifest('@autotelemetry/core', '0.1.0', { peerDependencies: { '@opentelemetry/api': '^1.9.0' } }),
      ...manifest('@opentelemetry/api', '1.10.0'),
      ...manifest('express', '5.1.0'),
    },
  };
}
