/**
 * The viewer as the pipeline sees it: two processors to install, then a start with the metric source once
 * the providers exist, and a stop. Started only when `viewerPort` is set (development's default).
 */
import type { Config } from '../config/types.js';
import type { Notices } from '../notices.js';
import { ViewerLogProcessor, ViewerSpanProcessor } from './capture.js';
import { MetricsSampler, type MetricsSource } from './metrics.js';
import { startViewerServer, type ViewerServer } from './server.js';
import { ViewerStore } from './store.js';

/** How often the open pages are told which traces changed. */
const PUSH_INTERVAL_MS = 250;

/** A viewer of one pipeline. */
export interface Viewer {
  readonly store: ViewerStore;
  readonly spanProcessor: ViewerSpanProcessor;
  readonly logProcessor: ViewerLogProcessor;
  /** The viewer's URL once listening, undefined when it could not listen or is not started. */
  url(): Promise<string | undefined>;
  /** Starts serving, sampling `metrics`. Prints the URL once, through the notices. */
  start(metrics: MetricsSource): void;
  stop(): Promise<void>;
}

/** The viewer `config` asks for, or undefined when `viewerPort` is false. */
export function createViewer(config: Config, notices: Notices): Viewer | undefined {
  const port = config.viewerPort;
  if (port === false) return undefined;
  const store = new ViewerStore({
    maxTraces: config.viewerMaxTraces,
    maxLogLines: config.viewerMaxLogLines,
    maxSpansPerTrace: 500,
    maxOperations: 200,
  });
  let server: ViewerServer | undefined;
  let sampler: MetricsSampler | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    store,
    spanProcessor: new ViewerSpanProcessor(store),
    logProcessor: new ViewerLogProcessor(store),
    url: () => server?.ready ?? Promise.resolve(undefined),
    start(metrics) {
      if (server !== undefined) return;
      sampler = new MetricsSampler(metrics, (sample) => server?.pushSample(sample));
      const info = { service: config.serviceName, version: config.serviceVersion, environment: config.environment };
      const started = startViewerServer(store, sampler, info, config.viewerHost, port, notices);
      server = started;
      sampler.start();
      timer = setInterval(() => started.pushTraces(store.takeChanged()), PUSH_INTERVAL_MS).unref();
      void started.ready.then((url) => {
        if (url !== undefined) notices.info(`telemetry viewer: ${url}`, { url });
      });
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      sampler?.stop();
      await server?.close();
    },
  };
}
