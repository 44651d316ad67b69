/**
 * Quiets OpenTelemetry's internal `diag` channel. The SDK reports every failed batch, dropped span or retried
 * request there; forwarded as is, one collector outage would print a line per batch. AutoTelemetry reports
 * export outages itself (see export-health.ts), so `diag` warnings and errors are only passed on once per
 * distinct message, and the chatty levels not at all.
 */
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import type { Notices } from '../notices.js';

/** Numbers and hex ids vary between otherwise identical messages; they are masked to dedupe. */
function messageKey(message: string): string {
  return message
    .slice(0, 160)
    .replace(/[0-9a-f]{8,}/gi, '#')
    .replace(/\d+/g, '#');
}

function describe(args: unknown[]): string | undefined {
  const details: string[] = [];
  for (const arg of args) {
    if (arg instanceof Error) details.push(arg.message);
    else if (typeof arg === 'string' || typeof arg === 'number') details.push(String(arg));
  }
  return details.length > 0 ? details.join(' ').slice(0, 500) : undefined;
}

/**
 * Installs the deduplicating `diag` logger; `inOutage` tells whether an export outage is being reported.
 * Returns the function that removes it again (shutdown calls it).
 * Respects `OTEL_LOG_LEVEL=debug|verbose|all`: then everything is passed through, for debugging the SDK.
 */
export function installDiagLogger(
  notices: Notices,
  inOutage: () => boolean,
  env: NodeJS.ProcessEnv = process.env,
): () => void {
  const verbose = /^(debug|verbose|all)$/i.test(env.OTEL_LOG_LEVEL?.trim() ?? '');
  const forward =
    (level: string) =>
    (message: string, ...args: unknown[]): void => {
      const detail = describe(args);
      const data = detail === undefined ? { source: 'opentelemetry' } : { source: 'opentelemetry', detail };
      if (verbose) notices.info(`[otel ${level}] ${message}`, data);
      else if (!inOutage()) notices.warnOnce(`diag:${messageKey(message)}`, `OpenTelemetry ${level}: ${message}`, data);
    };
  const ignore = (): void => {};
  const logger: DiagLogger = {
    error: forward('error'),
    warn: forward('warning'),
    info: verbose ? forward('info') : ignore,
    debug: verbose ? forward('debug') : ignore,
    verbose: verbose ? forward('verbose') : ignore,
  };
  diag.setLogger(logger, { logLevel: verbose ? DiagLogLevel.ALL : DiagLogLevel.WARN, suppressOverrideMessage: true });
  return () => diag.disable();
}
