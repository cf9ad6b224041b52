import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { RegistryClient } from '#core/image/registry-client';
import { SupplyChainGate } from '#core/image/supply-chain';
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

export const SANDBOX_RUNTIME = Symbol('SANDBOX_RUNTIME');
export const PROBES = Symbol('PROBES');

export type ProbeRegistry = ReadonlyMap<string, Probe>;

export const sandboxProviders: Provider[] = [
  {
    provide: SANDBOX_RUNTIME,
    inject: [CONFIG],
    useFactory: (config: AppConfig) =>
      new DockerRuntime({
        holdTarPath: join(config.holdBinary, '..', 'hold.tar'),
        trustedRegistries: config.trustedRegistries,
      }),
  },
  {
    provide: SupplyChainGate,
    inject: [CONFIG],
    useFactory: (config: AppConfig) => new SupplyChainGate(config.trustedRegistries, new RegistryClient()),
  },
  {
    provide: PROBES,
    inject: [CONFIG],
    useFactory: (config: AppConfig): ProbeRegistry => new Map<string, Probe>([
      ['strace', new StraceProbe(config.straceBinary)],
      ['ebpf', new EbpfProbe()],
      ['gvisor', new GvisorProbe()],
      ['falco', new FalcoProbe({ eventsFile: process.env.FALCO_EVENTS_FILE })],
      ['tracee', new TraceeProbe({ eventsFile: process.env.TRACEE_EVENTS_FILE })],
      ['perf', new PerfProbe()],
      ['ftrace', new FtraceProbe()],
    ]),
  },
];
