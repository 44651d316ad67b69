/**
 * `ExportLogsServiceRequest` encoding for the OTLP log exporters, in place of the SDK's serializer: the same
 * bytes (a test compares them) with the work of the span serializer (trace-serializer.ts): one pass, the
 * resource and scopes encoded once, repeated attributes copied from their kept bytes.
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { writeAnyValue } from './attributes.js';
import { FIXED32, FIXED64, LENGTH_DELIMITED, type ProtobufWriter, VARINT } from './protobuf-writer.js';
import { type OtlpSerializer, SharedEncodings, serializeGrouped } from './trace-serializer.js';

/** Encodes `ExportLogsServiceRequest`s. One per exporter: its writer and caches are reused between exports. */
export class LogsSerializer<Response> implements OtlpSerializer<ReadableLogRecord[], Response> {
  private readonly shared: SharedEncodings;

  /**
   * @param deserializeResponse the SDK's decoder of the collector's response (its serializer's).
   * @param shared encodings shared with another serializer, if any.
   */
  constructor(
    readonly deserializeResponse: (data: Uint8Array) => Response,
    shared: SharedEncodings = new SharedEncodings(),
  ) {
    this.shared = shared;
  }

  serializeRequest(records: ReadableLogRecord[]): Uint8Array {
    return serializeGrouped(this.shared, records, this.writeRecord);
  }

  /** Writes one log record as a length-delimited message (its tag not included). */
  readonly writeRecord = (writer: ProtobufWriter, record: ReadableLogRecord): void => this.record(writer, record);

  private record(writer: ProtobufWriter, record: ReadableLogRecord): void {
    const start = writer.begin();
    writer.tag(1, FIXED64);
    writer.hrTime(record.hrTime);
    if (record.severityNumber !== undefined && record.severityNumber !== SeverityNumber.UNSPECIFIED) {
      writer.tag(2, VARINT);
      writer.varint(record.severityNumber);
    }
    if (record.severityText) {
      writer.tag(3, LENGTH_DELIMITED);
      writer.string(record.severityText);
    }
    if (record.body !== undefined) {
      writer.tag(5, LENGTH_DELIMITED);
      const body = writer.begin();
      writeAnyValue(writer, record.body);
      writer.end(body);
    }
    if (record.attributes) this.shared.attributes.write(writer, record.attributes, 6);
    writer.tag(7, VARINT);
    writer.varint(record.droppedAttributesCount);
    const spanContext = record.spanContext;
    if (spanContext?.traceFlags) {
      writer.tag(8, FIXED32);
      writer.fixed32(spanContext.traceFlags);
    }
    if (spanContext?.traceId) {
      writer.tag(9, LENGTH_DELIMITED);
      writer.hex(spanContext.traceId);
    }
    if (spanContext?.spanId) {
      writer.tag(10, LENGTH_DELIMITED);
      writer.hex(spanContext.spanId);
    }
    writer.tag(11, FIXED64);
    writer.hrTime(record.hrTimeObserved);
    if (record.eventName) {
      writer.tag(12, LENGTH_DELIMITED);
      writer.string(record.eventName);
    }
    writer.end(start);
  }
}
