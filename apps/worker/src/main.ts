import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '#core/config/config';
import { JsonLogger } from '#core/nest/json-logger';
import { Metrics } from '#core/metrics/metrics';
import { startMetricsServer } from '#core/metrics/metrics-server';
import { ProfileError } from '#core/profiles/profile';

let config;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`quarantine-worker: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
try {
  const { WorkerModule } = await import('./worker.module.js');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: config.logFormat === 'json' ? new JsonLogger() : undefined,
  });
  app.enableShutdownHooks();
  if (config.metrics.port > 0) {
    // The worker has no HTTP server of its own: its metrics get one (docs/metrics.md).
    const server = await startMetricsServer(app.get(Metrics), { port: config.metrics.port, host: config.metrics.host, token: config.metrics.tokenCheck });
    process.once('SIGTERM', () => server.close());
    new Logger('Bootstrap').log(`worker metrics on ${config.metrics.host}:${config.metrics.port}/metrics`);
  }
  new Logger('Bootstrap').log(`worker started (concurrency ${config.workerConcurrency})`);
} catch (e) {
  if (e instanceof ProfileError) {
    process.stderr.write(`quarantine-worker: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
