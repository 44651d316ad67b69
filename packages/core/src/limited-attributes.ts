/**
 * The SDK's rule for an attribute that user code (or a processor) adds to a span or a log record: checked by
 * `maybeAddAttribute` (valid key and value, count limit), a dropped one counted and warned about once.
 * Shared by the lifecycle's request span and the logger's direct log records.
 */
import { diag } from '@opentelemetry/api';
import { AddAttributeDecision, maybeAddAttribute } from '@opentelemetry/core';

/** The SDK's default attribute limits (128 attributes, values of any length). */
export const DEFAULT_ATTRIBUTE_LIMITS = Object.freeze({
  attributeCountLimit: 128,
  attributeValueLengthLimit: Number.POSITIVE_INFINITY,
});

/** What holds attributes under the limit. */
export interface AttributeHolder {
  readonly attributes: Record<string, unknown>;
  /** Attributes held (kept in step by {@link addLimitedAttribute}). */
  attributesCount: number;
  droppedAttributesCount: number;
}

/** The number of own enumerable keys of `attributes`, counted without the array `Object.keys` makes. */
export function attributeCount(attributes: object): number {
  let count = 0;
  for (const key in attributes) if (Object.hasOwn(attributes, key)) count++;
  return count;
}

/** Adds `key` = `value` to `holder` under the SDK's rules. */
export function addLimitedAttribute(holder: AttributeHolder, key: string, value: unknown): void {
  const decision = maybeAddAttribute({
    key,
    value: value as never,
    attributes: holder.attributes as never,
    limits: DEFAULT_ATTRIBUTE_LIMITS,
    currentAttributesCount: holder.attributesCount,
  });
  if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) {
    if (++holder.droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
  } else if (decision === AddAttributeDecision.ADD_NEW) {
    holder.attributesCount++;
  }
}
