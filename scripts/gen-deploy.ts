// Writes the generated parts of deploy/ (admission webhooks, worker RBAC). Run: npm run deploy:generate
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedDeployFiles, renderDeployFile } from '../libs/sandbox/src/kubernetes/deploy-manifests.ts';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
for (const [path, file] of Object.entries(generatedDeployFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), renderDeployFile(file));
  console.log(`wrote ${path}`);
}
