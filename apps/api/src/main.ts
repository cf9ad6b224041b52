import { ConfigError, loadConfig } from '#core/config/config';
import { ProfileError } from '#core/profiles/profile';
import { startApi } from './bootstrap.js';

try {
  await startApi(loadConfig(process.env, { requireAdminKey: true }));
} catch (e) {
  if (e instanceof ConfigError || e instanceof ProfileError) {
    process.stderr.write(`quarantine-api: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
