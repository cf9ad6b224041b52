import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import Docker from 'dockerode';
import type { Redis } from 'ioredis';
import { REDIS } from '#core/nest/tokens';
import { Public } from '../auth/auth.decorators.js';

interface Res {
  status(n: number): void;
}

async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms))]);
}

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  private readonly docker = new Docker();

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Liveness: 200 while the process serves; `degraded` (naming Redis's connection state) while Redis is unreachable. */
  @Get('healthz')
  @HttpCode(200)
  health() {
    return this.redis.status === 'ready' ? { status: 'ok' } : { status: 'degraded', redis: this.redis.status };
  }

  /** Ready when Redis answers and the Docker engine answers. */
  @Get('readyz')
  async ready(@Res({ passthrough: true }) res: Res) {
    const [redis, docker] = await Promise.all([
      within(this.redis.ping(), 1000).then(() => ({ ok: true }), (e: Error) => ({ ok: false, error: e.message })),
      within(this.docker.ping(), 1000).then(() => ({ ok: true }), (e: Error) => ({ ok: false, error: e.message })),
    ]);
    const ok = redis.ok && docker.ok;
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not ready', checks: { redis, docker } };
  }
}
