import { BullModule, WorkerHost, getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { AppConfig } from '../config/config.js';
import { JobProducer } from '../queue/job-producer.js';
import { QueueName } from '../queue/queue.constants.js';

/** An `error` listener on an emitter of Redis errors, logging at most every 5 s (BullMQ prints unhandled ones to the console). */
function listenForErrors(emitter: { on(event: 'error', fn: (e: Error) => void): unknown }, name: string): void {
  const logger = new Logger('Redis');
  let last = 0;
  emitter.on('error', (e: Error) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    logger.warn(`${name}: ${e.message}`);
  });
}

/** Gives every BullMQ worker of the process (the @Processor classes) an `error` listener. */
@Injectable()
class WorkerErrorListeners implements OnApplicationBootstrap {
  constructor(private readonly discovery: DiscoveryService) {}
  onApplicationBootstrap(): void {
    for (const w of this.discovery.getProviders()) {
      const instance = w.instance as unknown;
      if (!(instance instanceof WorkerHost)) continue;
      try {
        listenForErrors(instance.worker, `worker ${instance.worker.name}`);
      } catch {
        // A processor whose worker was never created has no connection to listen to.
      }
    }
  }
}

/** BullMQ connection, every queue, and the JobProducer (the only way to enqueue). */
@Module({})
export class QueueModule {
  /**
   * `failFast` (the API): producers' commands fail at once while Redis is unreachable instead of
   * waiting in the offline queue and enqueueing after the client was told 503.
   */
  static forRoot(config: AppConfig, opts: { failFast?: boolean } = {}): DynamicModule {
    const names = Object.values(QueueName);
    const url = new URL(config.redisUrl);
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({
          connection: {
            host: url.hostname,
            port: Number(url.port || 6379),
            username: url.username || undefined,
            password: url.password ? decodeURIComponent(url.password) : undefined,
            db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
            tls: url.protocol === 'rediss:' ? {} : undefined,
            maxRetriesPerRequest: opts.failFast ? 2 : null,
            // BullMQ's own reconnection backoff grows to 20 s: the API's producers retry every second at most.
            ...(opts.failFast ? { enableOfflineQueue: false, commandTimeout: config.apiLimits.requestTimeoutMs, retryStrategy: (n: number) => Math.min(n * 100, 1000) } : {}),
          },
          prefix: 'q:bull',
        }),
        BullModule.registerQueue(...names.map((name) => ({ name }))),
        DiscoveryModule,
      ],
      providers: [
        {
          provide: JobProducer,
          useFactory: (...queues: Queue[]) => {
            queues.forEach((q, i) => listenForErrors(q, `queue ${names[i]}`));
            return new JobProducer(Object.fromEntries(names.map((n, i) => [n, queues[i]])) as Record<QueueName, Queue>);
          },
          inject: names.map((n) => getQueueToken(n)),
        },
        WorkerErrorListeners,
      ],
      exports: [JobProducer, BullModule],
    };
  }
}
