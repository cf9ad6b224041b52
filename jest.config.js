// One root jest config, three tiers as projects: unit (*.spec.ts), integration (*.integration-spec.ts,
// real Redis and Docker), e2e (test/**/*.e2e-spec.ts, the built API and worker); see docs/testing.md.
// ESM mode: Nest 12 is ESM-only, so ts-jest runs with useESM and NODE_OPTIONS=--experimental-vm-modules.
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }];
const moduleNameMapper = {
  '^#analysis$': '<rootDir>/libs/analysis/src/index.ts',
  '^#analysis/(.*)\\.js$': '<rootDir>/libs/analysis/src/$1.ts',
  '^#analysis/(.*)$': '<rootDir>/libs/analysis/src/$1.ts',
  '^#admission/(.*)\\.js$': '<rootDir>/libs/admission/src/$1.ts',
  '^#admission/(.*)$': '<rootDir>/libs/admission/src/$1.ts',
  '^#core/(.*)\\.js$': '<rootDir>/libs/core/src/$1.ts',
  '^#core/(.*)$': '<rootDir>/libs/core/src/$1.ts',
  '^#sandbox/(.*)\\.js$': '<rootDir>/libs/sandbox/src/$1.ts',
  '^#sandbox/(.*)$': '<rootDir>/libs/sandbox/src/$1.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};
const base = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper,
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.integration-spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
