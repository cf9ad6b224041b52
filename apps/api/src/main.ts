import { loadAdmissionConfig } from '#admission/admission.config';
import { ConfigError, loadConfig } from '#core/config/config';
import { ProfileError } from '#core/profiles/profile';
import { startApi } from './bootstrap.js';
import { loadRulesValidationConfig } from './rules/rules.config.js';
import { loadVulnerabilityReportsConfig } from './vulnerability-reports/vulnerability-reports.config.js';
import { loadHarborAdapterConfig } from './harbor/harbor.config.js';

try {
  // Every variable is read here, at the entry point, and validated before anything starts.
  const env = process.env;
  await startApi(loadConfig(env, { requireAdminKey: true }), { admission: loadAdmissionConfig(env), rulesValidation: loadRulesValidationConfig(env), vulnerabilityReports: loadVulnerabilityReportsConfig(env), harbor: loadHarborAdapterConfig(env) });
} catch (e) {
  if (e instanceof ConfigError || e instanceof ProfileError) {
    process.stderr.write(`quarantine-api: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
