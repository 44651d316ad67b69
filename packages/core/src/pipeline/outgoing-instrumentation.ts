/**
 * Outgoing-call instrumentation, so `traceparent` goes out on every outgoing request and client spans are
 * recorded:
 *
 * - `@opentelemetry/instrumentation-http` for `http.request`/`https.request` (outgoing only: server spans come
 *   from the core's request lifecycle, so there is exactly one SERVER span per request);
 * - `@opentelemetry/instrumentation-undici` for `fetch()`, which Node implements with undici and which does not
 *   go through `http.request`. It listens on undici's diagnostics channels, so it works in ESM without a loader.
 *
 * The instrumentation objects are created once per process and re-enabled on each start: each new instance
 * would add require hooks that are never removed, so start/shutdown cycles would pile them up.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

interface OutgoingInstrumentations {
  readonly http: HttpInstrumentation;
  readonly undici: UndiciInstrumentation;
}

const SLOT = Symbol.for('autotelemetry.outgoing-instrumentations.v1');
type GlobalWithSlot = typeof globalThis & { [SLOT]?: OutgoingInstrumentations };

// Any base path will do: only built-in modules are required through it.
const requireBuiltin = createRequire(`${process.cwd()}/`);

/** Whether Node has loaded a built-in module yet (`process.moduleLoadList` names them `NativeModule <id>`). */
function isBuiltinLoaded(id: string): boolean {
  const loaded = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;
  return loaded === undefined || loaded.includes(`NativeModule ${id}`);
}

function instrumentations(): OutgoingInstrumentations {
  const global = globalThis as GlobalWithSlot;
  global[SLOT] ??= {
    // Created enabled: undici's instrumentation reads `config.enabled` on every request, so an instance
    // created disabled would stay inert even after enable().
    http: new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    undici: new UndiciInstrumentation(),
  };
  return global[SLOT];
}

/**
 * Patches `http`/`https` and subscribes to undici's channels with the given providers. Returns the function
 * that undoes it.
 */
export function enableOutgoingInstrumentation(
  tracerProvider: TracerProvider,
  meterProvider: MeterProvider,
): () => void {
  const { http, undici } = instrumentations();
  for (const instrumentation of [http, undici]) {
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setMeterProvider(meterProvider);
    instrumentation.enable();
  }
  // The require hook patches a core module when it is required. An ESM app imports `node:http` without
  // `require`, possibly before start: requiring it here applies the patch to the shared module object, and
  // syncing the built-in ESM exports makes `import { request } from 'node:http'` see it too.
  requireBuiltin('node:http');
  // `https` brings in `tls` and `crypto`, a large share of a script's start-up: it is patched now only if the
  // app already loaded it; otherwise the require hook patches it on the app's first `require('https')`. (The
  // zero-code entry, which runs before the app's imports, requires it itself.)
  if (isBuiltinLoaded('https')) requireBuiltin('node:https');
  syncBuiltinESMExports();
  return () => {
    http.disable();
    undici.disable();
    syncBuiltinESMExports();
  };
}
