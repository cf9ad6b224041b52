import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '#core/config/config';
import { JsonLogger } from '#core/nest/json-logger';
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
  new Logger('Bootstrap').log(`worker started (concurrency ${config.workerConcurrency})`);
} catch (e) {
  if (e instanceof ProfileError) {
    process.stderr.write(`quarantine-worker: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
