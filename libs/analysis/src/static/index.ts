export * from './types.js';
export * from './checks.js';
export * from './findings.js';
export * from './minimal.js';
export * from './os-eol.js';
export * from './secrets.js';
export * from './setuid-baseline.js';
