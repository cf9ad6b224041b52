import { ConfigError, loadConfig } from './config.js';

describe('Kubernetes runtime configuration', () => {
  it('is off by default, with documented defaults', () => {
    expect(loadConfig({}).kubernetes).toEqual({
      enabled: false,
      probeImage: 'quarantine/probe:latest',
      netsimImage: 'quarantine/netsim:latest',
      workerNamespace: 'quarantine',
      workerServiceAccount: 'quarantine-worker',
      falcoPods: { namespace: 'falco', labelSelector: 'app.kubernetes.io/name=falco', container: 'falco' },
      traceePods: { namespace: 'tracee', labelSelector: 'app.kubernetes.io/name=tracee', container: 'tracee' },
      startAllowanceSeconds: 180,
      plainHttpRegistries: [],
    });
  });

  it('reads every K8S_ variable (and the pod namespace from the downward API)', () => {
    const k = loadConfig({ K8S_RUNTIME: 'on', K8S_PROBE_IMAGE: 'reg.local/probe@sha256:' + 'a'.repeat(64), POD_NAMESPACE: 'sec', K8S_WORKER_SERVICE_ACCOUNT: 'w', K8S_FALCO_PODS: 'security:app=falco', K8S_START_ALLOWANCE_SECONDS: '60', K8S_PLAIN_HTTP_REGISTRIES: 'registry.cluster:5000' }).kubernetes;
    expect(k).toMatchObject({ enabled: true, probeImage: 'reg.local/probe@sha256:' + 'a'.repeat(64), workerNamespace: 'sec', workerServiceAccount: 'w', falcoPods: { namespace: 'security', labelSelector: 'app=falco', container: 'security' }, startAllowanceSeconds: 60, plainHttpRegistries: ['registry.cluster:5000'] });
  });

  it.each([
    [{ K8S_RUNTIME: 'yes' }, 'K8S_RUNTIME'],
    [{ K8S_WORKER_NAMESPACE: 'Not_A_Namespace' }, 'K8S_WORKER_NAMESPACE'],
    [{ K8S_WORKER_SERVICE_ACCOUNT: 'a b' }, 'K8S_WORKER_SERVICE_ACCOUNT'],
    [{ K8S_FALCO_PODS: 'falco' }, 'K8S_FALCO_PODS'],
    [{ K8S_TRACEE_PODS: ':app=tracee' }, 'K8S_TRACEE_PODS'],
    [{ K8S_START_ALLOWANCE_SECONDS: '5' }, 'K8S_START_ALLOWANCE_SECONDS'],
    [{ K8S_PLAIN_HTTP_REGISTRIES: 'http://reg:5000' }, 'K8S_PLAIN_HTTP_REGISTRIES'],
  ])('names the variable for %j', (env, variable) => {
    try {
      loadConfig(env);
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variable).toBe(variable);
    }
  });
});
