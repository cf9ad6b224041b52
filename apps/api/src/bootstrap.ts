import 'reflect-metadata';
import { mountQueueBoard } from './console/queue-board.js';
import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { type AppConfig } from '#core/config/config';
import { JsonLogger } from '#core/nest/json-logger';
import { type ApiParts, AppModule } from './app.module.js';
import { bodyParsers } from './common/body-parsing.js';
import { toBody } from './common/http-exception.filter.js';
import { DeadlineInterceptor, requestDeadline } from './common/request-deadline.js';
import { createValidationPipe } from './common/validation.js';
import { sendHarborError } from './harbor/harbor-error.js';
import { loadVulnerabilityReportsConfig } from './vulnerability-reports/vulnerability-reports.config.js';
import { vulnerabilityReportBodyParser } from './vulnerability-reports/vulnerability-report-body.js';

/** Builds the API app (used by main.ts and by the e2e tests). */
export async function createApiApp(config: AppConfig, parts: ApiParts = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, parts), {
    bodyParser: false,
    logger: config.logFormat === 'json' ? new JsonLogger() : undefined,
  });
  app.disable('x-powered-by');
  // The client address (rate limits, logs) as TRUST_PROXY says: the socket's peer unless proxies are named.
  app.set('trust proxy', config.apiLimits.trustProxy);
  // Every request gets a deadline before anything else can make it wait (request-deadline.ts).
  app.use(requestDeadline(config.apiLimits.requestTimeoutMs));
  // Our own body parsers (size, depth and reserved-key limits, see body-parsing.ts), and an error handler right behind it so oversized or
  // malformed bodies get the same JSON error body as everything else.
  // Scanners' reports: the same parsing with their own, larger size limit (VULN_REPORT_MAX_BYTES), before the general parsers.
  for (const parser of vulnerabilityReportBodyParser({ maxBodyBytes: (parts.vulnerabilityReports ?? loadVulnerabilityReportsConfig({})).maxBodyBytes })) app.use(parser);
  for (const parser of bodyParsers({ maxBodyBytes: config.maxBodyBytes, maxJsonDepth: config.apiLimits.maxJsonDepth })) app.use(parser);
  // The web console's forms (flat key=value pairs only, small).
  app.use('/ui', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  app.use((err: unknown, _req: express.Request, res: express.Response, next: (e?: unknown) => void) => {
    if (!err) return next();
    if (res.headersSent) return res.end();
    const [status, body] = toBody(err);
    // The Harbor scanner adapter's routes answer in its spec's ErrorResponse shape (harbor/harbor-error.ts).
    if (_req.path.startsWith('/api/v1/')) return sendHarborError(res, status, body.message);
    res.status(status).json(body);
  });
  mountQueueBoard(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalInterceptors(new DeadlineInterceptor());
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Quarantine')
      .setDescription('Sandboxed dynamic analysis of container images')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'openapi.json' });
  return app;
}

export async function startApi(config: AppConfig, parts: ApiParts = {}): Promise<INestApplication> {
  const app = await createApiApp(config, parts);
  await app.listen(config.port, config.host);
  new Logger('Bootstrap').log(`API listening on ${config.host}:${config.port}`);
  return app;
}
