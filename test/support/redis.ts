/**
 * The Redis the integration and e2e tiers use: 127.0.0.1:6379 (what scripts/host-deps.sh starts),
 * or `TEST_REDIS_PORT` so two checkouts can run their suites side by side on one machine.
 */
export const TEST_REDIS_PORT = Number(process.env.TEST_REDIS_PORT || 6379);

export function testRedisUrl(db: number): string {
  return `redis://127.0.0.1:${TEST_REDIS_PORT}/${db}`;
}
