/**
 * Secrets out of span and metric attributes.
 *
 * The logger already redacts the configured keys in `data` and `context`, and the HTTP lifecycle masks
 * sensitive query values; but any code can write `span.setAttribute('db.password', …)` or count with
 * `{ token }`, and a secret in an attribute is exported as is. So the pipeline applies the same list
 * (`redact`, default {@link DEFAULT_REDACTED_KEYS}) to every span's attributes, its events' and links'
 * attributes when the span ends, and to metric attributes when a value is recorded (so a secret never
 * becomes a metric series either).
 *
 * An attribute key is sensitive when it or any of its dot segments is a redacted key (config/redacted-keys.ts).
 * The value is replaced by {@link REDACTED}, the key is kept.
 */
import type { Attributes, Context } from '@opentelemetry/api';
import type { IAttributesProcessor, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { KeyDecisions, RedactedKeys } from '../config/redacted-keys.js';
import { REDACTED } from '../logging/safe-json.js';

// Attribute keys are few and repeat; clients do not choose them (unlike query keys), but stay bounded anyway.
const MAX_CACHED_DECISIONS = 4096;

/** Decides, once per distinct key, whether an attribute key names a secret, and masks such values. */
export class AttributeRedactor {
  private readonly decisions: KeyDecisions;

  /** @param keys the resolved `redact` option (matched case-insensitively against each dot segment). */
  constructor(keys: Iterable<string>) {
    const redacted = new RedactedKeys(keys);
    this.decisions = new KeyDecisions(MAX_CACHED_DECISIONS, (key) => redacted.matchesAttribute(key));
  }

  /** Whether values under the attribute key `key` are redacted. */
  isSensitive(key: string): boolean {
    return this.decisions.get(key);
  }

  /** Replaces sensitive values of `attributes` in place. Returns whether anything was replaced. */
  redactInPlace(attributes: Attributes | undefined): boolean {
    if (attributes === undefined) return false;
    let changed = false;
    for (const key in attributes) {
      if (attributes[key] !== undefined && attributes[key] !== REDACTED && this.isSensitive(key)) {
        attributes[key] = REDACTED;
        changed = true;
      }
    }
    return changed;
  }

  /** `attributes` itself when nothing in it is sensitive (the common case, no allocation), else a masked copy. */
  redacted(attributes: Attributes): Attributes {
    for (const key in attributes) {
      if (this.isSensitive(key)) {
        const copy: Attributes = { ...attributes };
        this.redactInPlace(copy);
        return copy;
      }
    }
    return attributes;
  }
}

/**
 * A span processor placed first in the pipeline: when a span ends, sensitive attribute values (of the span,
 * its events and its links) are masked before any exporting processor sees the span.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  /** @param redactor the pipeline's redactor. */
  constructor(private readonly redactor: AttributeRedactor) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    try {
      this.redactor.redactInPlace(span.attributes);
      for (const event of span.events) this.redactor.redactInPlace(event.attributes);
      for (const link of span.links) this.redactor.redactInPlace(link.attributes);
    } catch {
      // A frozen attribute object (never made by the SDK) cannot be masked; the span is still exported
      // rather than thrown into the application's `span.end()`.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A metric view matching every instrument whose only change is masking sensitive attribute values at
 * record time. The aggregation stays the default one (histograms keep their bucket advice).
 */
export function redactingMetricView(redactor: AttributeRedactor): ViewOptions {
  const processor: IAttributesProcessor = {
    process: (incoming: Attributes): Attributes => redactor.redacted(incoming),
  };
  return { instrumentName: '*', attributesProcessors: [processor] };
}
