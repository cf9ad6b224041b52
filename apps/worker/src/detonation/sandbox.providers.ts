import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import type { AppConfig } from '#core/config/config';
import { CONFIG } from '#core/nest/tokens';
import { DockerRuntime } from '#sandbox/docker/docker-runtime';
import type { Probe } from '#sandbox/probes/probe';
import { StraceProbe } from '#sandbox/probes/strace.probe';

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
    provide: PROBES,
    inject: [CONFIG],
    useFactory: (config: AppConfig): ProbeRegistry => new Map<string, Probe>([['strace', new StraceProbe(config.straceBinary)]]),
  },
];
