import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// docker compose cannot run here (no registry for the base images); this checks the file keeps the
// properties the product depends on.
const compose = parse(readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; volumes?: string[]; pid?: string; cap_add?: string[]; ports?: string[] }>;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  it('runs redis with AOF on, noeviction and a volume', () => {
    const redis = compose.services.redis;
    expect(redis.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command?.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('gives only the worker the Docker socket privileges the probe needs', () => {
    const worker = compose.services.worker;
    expect(worker.volumes).toEqual(expect.arrayContaining(['/var/run/docker.sock:/var/run/docker.sock', '/sys/fs/cgroup:/sys/fs/cgroup:ro']));
    expect(worker.pid).toBe('host');
    expect(worker.cap_add).toEqual(expect.arrayContaining(['SYS_PTRACE', 'BPF', 'PERFMON', 'SYS_ADMIN', 'NET_ADMIN'])); // strace; the ebpf tracer; netns for stimulation and the simulated network
    expect(worker.command).toEqual(['node', 'dist/apps/worker/src/main.js']);
    expect(compose.services.api.pid).toBeUndefined();
    expect(compose.services.api.command).toEqual(['node', 'dist/apps/api/src/main.js']);
  });

  it('configures api and worker by env and binds the API to loopback', () => {
    expect(compose.services.api.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379' });
    expect(compose.services.api.environment?.QUARANTINE_ADMIN_KEY).toMatch(/QUARANTINE_ADMIN_KEY/);
    expect(compose.services.worker.environment).toHaveProperty('WORKER_CONCURRENCY');
    expect(compose.services.api.ports?.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
  });
});
