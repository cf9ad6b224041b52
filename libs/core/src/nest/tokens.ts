/** Injection tokens for providers that are plain classes or values. */
export const CONFIG = Symbol('QUARANTINE_CONFIG');
export const REDIS = Symbol('QUARANTINE_REDIS');
