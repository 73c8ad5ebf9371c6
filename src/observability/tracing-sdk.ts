import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config';

/**
 * Starts the OTLP exporter when TRACING=otlp and registers it as the global tracer provider
 * (the one tracing.ts reads). Returns its bounded flush for after the server has drained.
 */
export function startTracingSdk(
  config: Pick<Config, 'TRACING' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SERVICE_NAME'>,
): ((timeoutMs: number) => Promise<void>) | undefined {
  if (config.TRACING === 'off') return undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT }),
      ),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  return async (timeoutMs) => {
    // Bounded: a collector that is down must not hold the shutdown past its budget.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([provider.shutdown().catch(() => undefined), timeout]);
    clearTimeout(timer);
  };
}
