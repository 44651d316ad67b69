/**
 * The W3C Trace Context propagator (`traceparent` / `tracestate`), level 2, registered by the pipeline in
 * place of the stock one, which follows level 1 (it filters or trims a bad `tracestate`, reads level-1 keys,
 * and loses the random flag):
 *
 * - `traceparent`: surrounding spaces and tabs ignored; version `00` exactly 55 characters; a higher version
 *   (not `ff`) read by the forward-compatibility rules — its first four fields, then the end or a `-`;
 *   lowercase hex only; all-zero ids, or several `traceparent` fields, start a new trace;
 * - `tracestate` ({@link W3CTraceState}): read only with a valid `traceparent`; several fields joined; any
 *   invalid member, or more than 32, discards it whole, without affecting the `traceparent`;
 * - trace-flags: the sampled (`01`) and random (`02`) bits are read, the others are reserved and dropped.
 *   The random bit of a received `traceparent` is kept on every outgoing `traceparent` of that trace, whatever
 *   span carries it: the spans below the remote parent take their flags from the sampler, so the bit travels
 *   in the context beside the remote parent and is added back at injection.
 */
import {
  type Context,
  createContextKey,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { trimOws, W3CTraceState } from './trace-state.js';

export const TRACE_PARENT_HEADER = 'traceparent';
export const TRACE_STATE_HEADER = 'tracestate';

const SAMPLED = 0x01;
const RANDOM = 0x02;
const KNOWN_FLAGS = SAMPLED | RANDOM;

/** The trace id of a remote parent received with the random flag set (a context value). */
const RANDOM_TRACE_ID = createContextKey('autotelemetry.w3c.random-trace-id');

/** Version, trace id, parent id and flags: the 55 characters every version starts with. */
const HEAD_LENGTH = 55;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX2 = /^[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** The remote parent a `traceparent` value names, or undefined when the value is not valid. */
export function parseTraceParent(header: string): SpanContext | undefined {
  const value = trimOws(header);
  if (value.length < HEAD_LENGTH) return undefined;
  const version = value.slice(0, 2);
  if (!HEX2.test(version) || version === 'ff') return undefined;
  if (version === '00' ? value.length !== HEAD_LENGTH : value.length > HEAD_LENGTH && value[HEAD_LENGTH] !== '-') {
    return undefined;
  }
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!HEX32.test(traceId) || traceId === ZERO_TRACE_ID) return undefined;
  if (!HEX16.test(spanId) || spanId === ZERO_SPAN_ID) return undefined;
  if (!HEX2.test(flags)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & KNOWN_FLAGS, isRemote: true };
}

/** One header value: undefined when absent, when not text, or when sent several times. */
function single(value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

function twoHex(flags: number): string {
  return flags < 0x10 ? `0${flags.toString(16)}` : flags.toString(16);
}

export class W3CTraceContextLevel2Propagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext === undefined || isTracingSuppressed(context) || !isSpanContextValid(spanContext)) return;
    let flags = spanContext.traceFlags & KNOWN_FLAGS;
    if (context.getValue(RANDOM_TRACE_ID) === spanContext.traceId) flags |= RANDOM;
    setter.set(carrier, TRACE_PARENT_HEADER, `00-${spanContext.traceId}-${spanContext.spanId}-${twoHex(flags)}`);
    const traceState = spanContext.traceState?.serialize();
    // An empty tracestate is allowed but should not be sent.
    if (traceState !== undefined && traceState !== '') setter.set(carrier, TRACE_STATE_HEADER, traceState);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = single(getter.get(carrier, TRACE_PARENT_HEADER));
    if (header === undefined) return context;
    const spanContext = parseTraceParent(header);
    if (spanContext === undefined) return context;
    const stateHeader = getter.get(carrier, TRACE_STATE_HEADER);
    const state = Array.isArray(stateHeader) ? stateHeader.join(',') : stateHeader;
    const traceState = typeof state === 'string' ? W3CTraceState.parse(state) : undefined;
    if (traceState !== undefined) spanContext.traceState = traceState;
    const withParent = trace.setSpanContext(context, spanContext);
    return (spanContext.traceFlags & RANDOM) === RANDOM
      ? withParent.setValue(RANDOM_TRACE_ID, spanContext.traceId)
      : withParent;
  }

  fields(): string[] {
    return [TRACE_PARENT_HEADER, TRACE_STATE_HEADER];
  }
}
