export * from './fixture-app.js';
export * from './otlp-decode.js';
export * from './otlp-receiver.js';
export * from './ports.js';
export * from './processes.js';
export * from './servers.js';
