import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplication } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type express from 'express';
import { QueueName } from '#core/queue/queue.constants';
import { ApiKeyRepository } from '#core/storage/api-key.repository';
import { sessionKey } from './console-session.js';
import { CONSOLE_CSP, errorPage } from './console-views.js';

export const QUEUE_BOARD_PATH = '/ui/queues';

/**
 * bull-board (the BullMQ queues: jobs by state, retries, failures) at /ui/queues, for admins signed
 * in to the console: the session cookie is checked on every request before bull-board sees it.
 */
export function mountQueueBoard(app: INestApplication): void {
  const queues = Object.values(QueueName).flatMap((name) => {
    try {
      return [app.get<Queue>(getQueueToken(name), { strict: false })];
    } catch {
      return [];
    }
  });
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter, options: { uiConfig: { boardTitle: 'Quarantine queues' } } });
  const keys = app.get(ApiKeyRepository);
  const adminOnly: express.RequestHandler = (req, res, next) => {
    const key = sessionKey(req.headers.cookie);
    const deny = (status: number, message: string) => {
      res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CONSOLE_CSP }).send(errorPage(status, message, status !== 401));
    };
    if (!key) return deny(401, 'sign in to the console first');
    keys.authenticate(key).then(
      (p) => (p?.role === 'admin' ? next() : p ? deny(403, 'the queues are for admins') : deny(401, 'the console session is not valid any more: sign in again')),
      next,
    );
  };
  app.use(QUEUE_BOARD_PATH, adminOnly, adapter.getRouter() as express.Router);
}
