/** Quarantine's version, as in package.json (a unit test keeps them equal): reports, SARIF's tool version. */
export const QUARANTINE_VERSION = '0.1.0';
