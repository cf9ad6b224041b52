/** libs/analysis: plain TypeScript — event model, probe parsers, state tracker, rules, scoring, pipeline. */
export * from './events/event.js';
export * from './events/ndjson.js';
export * from './probes/trace-parser.js';
export { StraceParser, createStraceParser } from './probes/strace-parser.js';
export * from './state/context.js';
export * from './state/run-summary.js';
export { StateTracker, DOCKER_DEFAULT_CAPS, WRAPPER_EXE, type StateTrackerOptions, type InitialProcess } from './state/state-tracker.js';
export * from './rules/index.js';
export * from './scoring/index.js';
export * from './pipeline/analyze-trace.js';
export * from './rules/validate.js';
export * from './probes/parsers.js';
export * from './drift/drift.js';
