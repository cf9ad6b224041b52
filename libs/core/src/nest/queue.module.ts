import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { AppConfig } from '../config/config.js';
import { JobProducer } from '../queue/job-producer.js';
import { QueueName } from '../queue/queue.constants.js';

/** BullMQ connection, every queue, and the JobProducer (the only way to enqueue). */
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig): DynamicModule {
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
            maxRetriesPerRequest: null,
          },
          prefix: 'q:bull',
        }),
        BullModule.registerQueue(...names.map((name) => ({ name }))),
      ],
      providers: [
        {
          provide: JobProducer,
          useFactory: (...queues: Queue[]) => new JobProducer(Object.fromEntries(names.map((n, i) => [n, queues[i]])) as Record<QueueName, Queue>),
          inject: names.map((n) => getQueueToken(n)),
        },
      ],
      exports: [JobProducer, BullModule],
    };
  }
}
