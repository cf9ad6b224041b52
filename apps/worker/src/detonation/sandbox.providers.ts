import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { RegistryClient } from '#core/image/registry-client';
import { SupplyChainGate } from '#core/image/supply-chain';
import { ChainedCredentials, type CredentialSource } from '#core/image/registry-credentials';
import { RegistryCredentialRepository } from '#core/storage/registry-credential.repository';
import { CONFIG } from '#core/nest/tokens';
import { DockerRuntime } from '#sandbox/docker/docker-runtime';
import type { Probe } from '#sandbox/probes/probe';
import { EbpfProbe } from '#sandbox/probes/ebpf.probe';
import { FalcoProbe } from '#sandbox/probes/falco.probe';
import { StraceProbe } from '#sandbox/probes/strace.probe';
import { PerfProbe } from '#sandbox/probes/perf.probe';
import { FtraceProbe } from '#sandbox/probes/ftrace.probe';
import { GvisorProbe } from '#sandbox/probes/gvisor.probe';
import { TraceeProbe } from '#sandbox/probes/tracee.probe';
import { ClientNodeKubeClient } from '#sandbox/kubernetes/kube-client';
import { KubernetesRuntime, type SensorSource } from '#sandbox/kubernetes/kubernetes-runtime';
import { RegistryImageResolver } from '#sandbox/kubernetes/registry-resolver';
import type { SandboxRuntime } from '#sandbox/sandbox-runtime';

export const SANDBOX_RUNTIME = Symbol('SANDBOX_RUNTIME');
export const PROBES = Symbol('PROBES');
/** Registry credentials (API-managed, then REGISTRY_AUTH_FILE) for the gate's registry client and the pull. */
export const REGISTRY_CREDENTIALS = Symbol('REGISTRY_CREDENTIALS');
/** The Kubernetes runtime for `runtime: kubernetes` profiles, or null when K8S_RUNTIME is off. */
export const KUBERNETES_RUNTIME = Symbol('KUBERNETES_RUNTIME');

/** Builds the Kubernetes runtime from config (kubeconfig: KUBECONFIG, ~/.kube/config, or in-cluster). */
export function kubernetesRuntime(config: AppConfig): SandboxRuntime | null {
  const k = config.kubernetes;
  if (!k.enabled) return null;
  const resolver = new RegistryImageResolver({ trustedRegistries: config.trustedRegistries, plainHttpRegistries: k.plainHttpRegistries });
  const sensors: Record<string, SensorSource> = {};
  if (k.falcoPods) sensors.falco = { ...k.falcoPods, probe: new FalcoProbe() };
  if (k.traceePods) sensors.tracee = { ...k.traceePods, probe: new TraceeProbe() };
  return new KubernetesRuntime({
    client: new ClientNodeKubeClient(),
    resolveImage: (ref) => resolver.resolve(ref),
    probeImage: k.probeImage,
    netsimImage: k.netsimImage,
    workerServiceAccount: { namespace: k.workerNamespace, name: k.workerServiceAccount },
    sensors,
    startAllowanceSeconds: k.startAllowanceSeconds,
  });
}

export type ProbeRegistry = ReadonlyMap<string, Probe>;

export const sandboxProviders: Provider[] = [
  {
    provide: SANDBOX_RUNTIME,
    inject: [CONFIG, REGISTRY_CREDENTIALS],
    useFactory: (config: AppConfig, credentials: CredentialSource) =>
      new DockerRuntime({
        holdTarPath: join(config.holdBinary, '..', 'hold.tar'),
        netsim: { assetsDir: join(config.holdBinary, '..', 'netsim') },
        // Built by scripts/build-assets.sh; without it, held sandboxes get their files through the engine.
        plant: existsSync(join(config.holdBinary, '..', 'plant')) ? { binary: join(config.holdBinary, '..', 'plant'), holdDir: join(config.holdBinary, '..', 'stage', '.quarantine') } : undefined,
        trustedRegistries: config.trustedRegistries,
        registryAuth: async (registry) => (await credentials.get(registry))?.dockerAuthConfig(),
      }),
  },
  { provide: KUBERNETES_RUNTIME, inject: [CONFIG], useFactory: kubernetesRuntime },
  {
    provide: REGISTRY_CREDENTIALS,
    inject: [CONFIG, RegistryCredentialRepository],
    // API-managed entries first, then REGISTRY_AUTH_FILE (docs/registries.md).
    useFactory: (config: AppConfig, stored: RegistryCredentialRepository): CredentialSource => new ChainedCredentials([stored, config.registries.fileCredentials]),
  },
  {
    provide: SupplyChainGate,
    inject: [CONFIG, REGISTRY_CREDENTIALS],
    useFactory: (config: AppConfig, credentials: CredentialSource) => new SupplyChainGate(config.trustedRegistries, new RegistryClient({ credentials })),
  },
  {
    provide: PROBES,
    inject: [CONFIG],
    useFactory: (config: AppConfig): ProbeRegistry => new Map<string, Probe>([
      ['strace', new StraceProbe(config.straceBinary)],
      ['ebpf', new EbpfProbe({ engine: config.ebpfEngine, preload: config.ebpfPreload })],
      ['gvisor', new GvisorProbe()],
      ['falco', new FalcoProbe({ eventsFile: config.falcoEventsFile })],
      ['tracee', new TraceeProbe({ eventsFile: config.traceeEventsFile })],
      ['perf', new PerfProbe()],
      ['ftrace', new FtraceProbe()],
    ]),
  },
];
