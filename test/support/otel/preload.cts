// OpenTelemetry's Node.js auto-instrumentation, preloaded with --require,
// for the agent's oracle test and its overhead benchmark. With
// OTEL_SPANS_FILE, finished spans are appended to that file as JSON lines;
// without it they go to an exporter that drops them (the benchmark's case).
/* eslint-disable @typescript-eslint/no-require-imports */
const fs = require('node:fs') as typeof import('node:fs');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');

interface SpanLike {
  spanContext(): { traceId: string; spanId: string };
  parentSpanContext?: { spanId: string };
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const file = process.env.OTEL_SPANS_FILE;
const exporter = {
  export(spans: SpanLike[], done: (r: { code: number }) => void): void {
    if (file) {
      const lines = spans.map((s) => JSON.stringify({
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId ?? s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind,
        attributes: s.attributes,
      }));
      fs.appendFileSync(file, lines.join('\n') + '\n');
    }
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

const provider = new NodeTracerProvider({
  spanProcessors: [file ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
});
provider.register();
registerInstrumentations({
  instrumentations: [getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-fs': { enabled: false } })],
});
// ES modules importing node:http see the patched functions only after this
require('node:module').syncBuiltinESMExports();
