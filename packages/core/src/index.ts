export * from './config.js';
export * from './environment.js';
export * from './state.js';
