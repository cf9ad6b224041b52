// The real-cluster suite (npm run test:k8s): not one of the default projects, because it needs a
// cluster (KUBECONFIG). Same transform and module mapping as the root config's projects.
import root from '../../jest.config.js';

const { displayName: _unit, testMatch: _match, ...base } = root.projects[0];
export default { ...base, rootDir: '../..', displayName: 'k8s', testMatch: ['<rootDir>/test/k8s/**/*.k8s-spec.ts'] };
