import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { type ImageRef, dockerRef } from '#core/image/image-ref';
import {
  type CapturedOutput,
  ImageNotFoundError,
  ImageVerificationError,
  type LimitHits,
  type ResolvedImage,
  SANDBOX_LABELS,
  type Sandbox,
  type SandboxExit,
  type SandboxNetworkStatus,
  type SandboxRuntime,
  type SandboxSpec,
  type SandboxTarget,
} from '../sandbox-runtime.js';
import type { Lure } from '#analysis/lures/lure';
import { envLures } from '../lures/lure-values.js';
import { NETSIM_LINK, NetworkSimulator, type NetworkSimulatorOptions, reapSimulators } from '../network/simulated-network.js';
import { parseLoginuid } from './loginuid.js';
import { CgroupMonitor } from './cgroup-monitor.js';
import { DEFAULT_DISK_BYTES, type EngineStorageInfo, QgroupWatch, type QuotaSupport, diskLimitUnavailable, isQuotaBelowImage, isQuotaRefusal, quotaSupport, storageOptSize, volumeTmpfs } from './disk-quota.js';
import { TELL_PATHS, podLikeHostname, removeTells } from './disguise.js';
import { DormancyWatch } from './dormancy.js';
import { prepareFileLures } from './lure-planter.js';
import { CappedCollector } from './output-collector.js';
import { Planter } from './planter.js';
import { type TarFile, concatTars, sandboxNetworkFiles, tarFiles } from './tar-files.js';
import { WindowKeeper } from './window-keeper.js';
import { pullError } from './pull-auth.js';

export const HOLD_DIR = '/.quarantine';
export const HOLD_PATH = `${HOLD_DIR}/hold`;

export interface DockerRuntimeOptions {
  docker?: Docker;
  /** Tarball holding `.quarantine/hold` (built by scripts/build-assets.sh). */
  holdTarPath: string;
  /** Registries we may pull from; nothing is pulled from anywhere else. */
  trustedRegistries?: string[];
  /** Extra seconds past the window before a reaper may remove a sandbox. */
  reapGraceSeconds?: number;
  /** The network simulator's assets, for `network: simulated` (docs/network.md). */
  netsim?: NetworkSimulatorOptions;
  /** Credentials for pulls from private registries (Docker Engine AuthConfig), by registry host; anonymous when undefined. */
  registryAuth?: (registry: string) => Promise<object | undefined>;
  /**
   * Held runc sandboxes without the engine's archive calls (planter.ts): the hold wrapper's
   * directory (`holdDir`, holding `hold`) bind-mounted read-only at /.quarantine and unmounted
   * before the sample runs; the name-resolution files and lures written, and the tells removed, by
   * the planter (`binary`) while the entrypoint is held. Absent: one putArchive before start.
   */
  plant?: { binary: string; holdDir: string };
}

/** What a planted sandbox gets while held (DockerRuntimeOptions.plant). */
interface PlantPlan {
  binary: string;
  files: TarFile[];
  /** Plant file lures (profile `lures`); the environment lures are set at create. */
  lures: boolean;
  envLures: Lure[];
}

function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404;
}

/**
 * Docker (runc or gVisor) sandboxes through dockerode. Containment comes from layers that do not
 * change what the sample can do inside: no network, no-new-privileges, default seccomp, pids /
 * memory / CPU limits, random hostname, no host mounts, no Docker socket; `drop-all` drops every
 * capability for the strict profile.
 */
export class DockerRuntime implements SandboxRuntime {
  readonly kind = 'docker';
  readonly docker: Docker;
  private holdTar?: Buffer;
  /** Whether the storage driver can enforce `limits.disk`, read once from `docker info` (docs/sandbox.md#disk-limit). */
  private storage?: Promise<QuotaSupport>;

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.docker = opts.docker ?? new Docker();
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  async resolveImage(ref: ImageRef): Promise<ResolvedImage> {
    let info = await this.inspectImage(dockerRef(ref));
    if (!info && ref.digest && !ref.tag) {
      // A locally built image has no repo digest; its pinned digest may be its image id.
      const byId = await this.inspectImage(ref.digest);
      if (byId && (byId.RepoTags ?? []).some((t) => t.startsWith(`${ref.name}:`))) info = byId;
    }
    if (!info && ref.registry && (this.opts.trustedRegistries ?? []).includes(ref.registry)) {
      await this.pull(dockerRef(ref), ref.registry, await this.opts.registryAuth?.(ref.registry));
      info = await this.inspectImage(dockerRef(ref));
    }
    if (!info) {
      throw new ImageNotFoundError(
        `image ${ref.raw} is not present locally` +
          (ref.registry ? ` and registry ${ref.registry} is not trusted for pulls` : ' (pulls happen only from trusted registries)'),
      );
    }
    const repoDigests = info.RepoDigests ?? [];
    if (ref.digest) {
      // A registry image must carry exactly this repo digest (what the supply-chain gate pinned and pulled).
      const ok = ref.registry
        ? repoDigests.includes(`${ref.name}@${ref.digest}`)
        : info.Id === ref.digest || repoDigests.some((d) => d.endsWith(`@${ref.digest}`));
      if (!ok) throw new ImageVerificationError(`image ${ref.raw}: local image ${info.Id} does not match the pinned digest ${ref.digest}`);
    }
    const repoDigest = repoDigests.find((d) => d.startsWith(`${ref.name}@`)) ?? repoDigests[0];
    const cfg = info.Config ?? ({} as Docker.ImageInspectInfo['Config']);
    return {
      imageId: info.Id,
      digest: ref.digest ?? (repoDigest ? repoDigest.slice(repoDigest.indexOf('@') + 1) : info.Id),
      repoDigests,
      repoTags: info.RepoTags ?? [],
      entrypoint: toList(cfg.Entrypoint),
      cmd: toList(cfg.Cmd),
      user: cfg.User ?? '',
      env: cfg.Env ?? [],
      workingDir: cfg.WorkingDir ?? '',
      exposedPorts: tcpPorts((cfg as { ExposedPorts?: Record<string, unknown> }).ExposedPorts),
      sizeBytes: info.Size,
      volumes: Object.keys((cfg as { Volumes?: Record<string, unknown> | null }).Volumes ?? {}),
    };
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const argv = [...spec.image.entrypoint, ...spec.image.cmd];
    if (argv.length === 0) throw new ImageVerificationError('image has neither an entrypoint nor a command: nothing to run');
    if (spec.seccomp !== undefined && spec.runtime !== 'runc') throw new Error('a seccomp profile under test needs runc (gVisor filters its own syscalls)');
    if (spec.hold && spec.runtime === 'runsc') throw new Error('a held start needs runc: under gVisor the host cannot see or signal the sample');
    // Fail closed: never run a sandbox whose disk the kernel does not limit.
    const storage = await this.storageSupport();
    if (storage.enforce === 'no') throw diskLimitUnavailable(storage);
    const diskBytes = spec.limits.diskBytes ?? DEFAULT_DISK_BYTES;
    const tmpfs = volumeTmpfs(spec.image.volumes, diskBytes);
    // The simulator starts (forked by the zygote: its own namespace, ~10 ms) while the engine creates the container.
    const simulator = spec.network?.mode === 'simulated' ? this.startSimulator(spec) : undefined;
    simulator?.catch(() => undefined);
    // A pod-like hostname, not Docker's 12 hex characters (docs/sandbox-tells.md).
    const hostname = podLikeHostname(spec.image.repoTags);
    const envLure = spec.lures ? envLures(spec.image.env) : { env: [], lures: [] };
    const name = `quarantine-${spec.analysisId}`;
    const longest = Math.max(spec.limits.windowSeconds, spec.limits.maxWindowSeconds ?? 0);
    const deadline = new Date(Date.now() + (longest + (this.opts.reapGraceSeconds ?? 120)) * 1000);
    let lures: Lure[] | undefined;
    const plant = spec.hold && spec.runtime === 'runc' && !spec.dockerRuntimeName ? this.opts.plant : undefined;
    const options: Docker.ContainerCreateOptions = {
      name,
      Image: spec.image.imageId,
      Hostname: hostname,
      Entrypoint: spec.hold ? [HOLD_PATH, ...argv] : argv,
      Cmd: [],
      // The image's own user, env and working directory apply unchanged; lure variables only where the image sets none.
      Env: envLure.env.length ? envLure.env : undefined,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: false,
      Tty: false,
      // No network at all (a namespace with loopback only), without the ~95 ms libnetwork spends
      // setting up even `none`; Docker then writes no /etc/hosts or resolv.conf, so we put the ones it
      // would have written (sandboxNetworkFiles) into the container before it starts.
      NetworkDisabled: true,
      Labels: {
        [SANDBOX_LABELS.managed]: 'true',
        [SANDBOX_LABELS.analysisId]: spec.analysisId,
        [SANDBOX_LABELS.createdAt]: new Date().toISOString(),
        [SANDBOX_LABELS.deadline]: deadline.toISOString(),
      },
      HostConfig: {
        Init: true,
        // A private cgroup namespace, so /proc/self/cgroup shows `/` and not /docker/<id> (runc only).
        ...(spec.runtime === 'runc' ? { CgroupnsMode: 'private' } : {}),
        NetworkMode: 'none',
        // Docker's default seccomp profile, or the generated one under test (docs/hardening.md).
        SecurityOpt: spec.seccomp === undefined ? ['no-new-privileges'] : ['no-new-privileges', `seccomp=${spec.seccomp}`],
        CapDrop: spec.capabilities === 'drop-all' ? ['ALL'] : undefined,
        Privileged: false,
        PidsLimit: spec.limits.pids,
        Memory: spec.limits.memoryBytes,
        MemorySwap: spec.limits.memoryBytes,
        NanoCpus: Math.round(spec.limits.cpus * 1e9),
        CpusetCpus: spec.cpu === undefined ? undefined : String(spec.cpu),
        IpcMode: 'private',
        ShmSize: 64 * 1024 * 1024,
        Runtime: spec.dockerRuntimeName ?? (spec.runtime === 'runsc' ? 'runsc' : undefined),
        Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
        // Output is captured (capped) through attach; nothing is written to the host's disk.
        LogConfig: { Type: 'none', Config: {} },
        AutoRemove: false,
        // Only the hold wrapper's own directory, read-only, and only until the sample is released (DockerSandbox.plant).
        Binds: plant ? [`${plant.holdDir}:${HOLD_DIR}:ro`] : [],
        // The kernel-enforced disk limit (btrfs qgroup here; it counts the image, hence its size added).
        StorageOpt: { size: String(storageOptSize(spec.image.sizeBytes, diskBytes)) },
        // The image's VOLUMEs: size-limited tmpfs instead of anonymous volumes outside the quota.
        ...(tmpfs ? { Tmpfs: tmpfs } : {}),
      },
    };
    const container = await this.docker.createContainer(options).catch((e: unknown) => {
      // The image alone references more than estimated (very many small files): once more with ample headroom.
      if (!isQuotaBelowImage(e)) throw e;
      options.HostConfig!.StorageOpt = { size: String(storageOptSize(spec.image.sizeBytes, diskBytes, 'ample')) };
      return this.docker.createContainer(options);
    }).catch(async (e: unknown) => {
      await simulator?.then((sim) => sim.stop(), () => undefined);
      throw isQuotaRefusal(e) ? diskLimitUnavailable(storage, (e as Error).message) : e;
    });
    let sim: NetworkSimulator | undefined;
    let plan: PlantPlan | undefined;
    try {
      if (plant) {
        // Everything else is planted while the entrypoint is held (start): no archive call here.
        plan = { binary: plant.binary, files: sandboxNetworkFiles(hostname, simulator ? NETSIM_LINK.sim4 : undefined), lures: spec.lures === true, envLures: envLure.lures };
        sim = await simulator;
        return new DockerSandbox(this.docker, container, name, hostname, spec, undefined, sim, plan);
      }
      // Services that look up `localhost` or their own hostname (mariadb-install-db, JVMs, …) fail
      // without these, where they would run in production.
      // One putArchive (each costs ~50–150 ms in the engine): these, the lures (docs/lures.md) and the hold wrapper.
      const lurePlan = spec.lures ? await prepareFileLures(container, spec.image.user, hostname) : undefined;
      const files = tarFiles([...sandboxNetworkFiles(hostname, simulator ? NETSIM_LINK.sim4 : undefined), ...(lurePlan?.entries ?? [])]);
      await container.putArchive(spec.hold ? concatTars([files, await this.holdArchive()]) : files, { path: '/' });
      lures = lurePlan ? [...envLure.lures, ...lurePlan.lures] : undefined;
      sim = await simulator;
    } catch (e) {
      await container.remove({ force: true }).catch(() => undefined);
      await simulator?.then((s) => s.stop(), () => undefined);
      throw e;
    }
    return new DockerSandbox(this.docker, container, name, hostname, spec, lures, sim);
  }

  private storageSupport(): Promise<QuotaSupport> {
    this.storage ??= this.docker.info().then((info: unknown) => quotaSupport(info as EngineStorageInfo));
    this.storage.catch(() => (this.storage = undefined));
    return this.storage;
  }

  /** A simulator for this analysis, forked by the worker's zygote (docs/network.md). */
  private async startSimulator(spec: SandboxSpec): Promise<NetworkSimulator> {
    const netsim = this.opts.netsim;
    if (!netsim) throw new Error('network: simulated needs the network simulator, which this runtime was not given');
    if (spec.runtime === 'runsc' || !spec.hold) {
      // This host's runsc cannot give a sandbox a network (docs/network.md, "gVisor"); a held start is how the link is made before the sample runs.
      throw new Error('network: simulated needs runc and a held start (gVisor sandboxes run with network none: docs/network.md)');
    }
    const lifetimeSeconds = Math.max(spec.limits.windowSeconds, spec.limits.maxWindowSeconds ?? 0) + (this.opts.reapGraceSeconds ?? 120);
    const sim = await NetworkSimulator.start(netsim, { lifetimeSeconds });
    try {
      await sim.lease({ analysisId: spec.analysisId, capturePath: spec.network!.capturePath, lifetimeSeconds });
    } catch (e) {
      await sim.stop();
      throw e;
    }
    return sim;
  }

  async reap(opts: { analysisId?: string; now?: Date }): Promise<string[]> {
    const labels = [`${SANDBOX_LABELS.managed}=true`];
    if (opts.analysisId) labels.push(`${SANDBOX_LABELS.analysisId}=${opts.analysisId}`);
    const list = await this.docker.listContainers({ all: true, filters: { label: labels } });
    // Network simulators left by a crashed worker (they also end by themselves): by pid, past their deadline.
    const simulators = await reapSimulators(opts);
    const now = (opts.now ?? new Date()).getTime();
    const removed: string[] = [];
    for (const c of list) {
      const deadline = Date.parse(c.Labels?.[SANDBOX_LABELS.deadline] ?? '');
      if (!opts.analysisId && Number.isFinite(deadline) && deadline > now) continue;
      try {
        await this.docker.getContainer(c.Id).remove({ force: true });
        removed.push(c.Id);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return [...removed, ...simulators.map((pid) => `netsim:${pid}`)];
  }

  private async inspectImage(name: string): Promise<Docker.ImageInspectInfo | null> {
    try {
      return await this.docker.getImage(name).inspect();
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  private async pull(name: string, registry: string, authconfig?: object): Promise<void> {
    try {
      const stream = await this.docker.pull(name, authconfig ? { authconfig } : {});
      await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
    } catch (e) {
      throw pullError(e, name, registry, authconfig !== undefined);
    }
  }

  private async holdArchive(): Promise<Buffer> {
    this.holdTar ??= await readFile(this.opts.holdTarPath);
    return this.holdTar;
  }
}

/** `{"8080/tcp": {}, "53/udp": {}}` → [8080]. */
function tcpPorts(exposed: Record<string, unknown> | undefined): number[] {
  const out: number[] = [];
  for (const k of Object.keys(exposed ?? {})) {
    const m = /^(\d{1,5})(?:\/tcp)?$/.exec(k);
    const n = m ? Number(m[1]) : 0;
    if (n > 0 && n < 65536 && !out.includes(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

function toList(v: string[] | string | null | undefined): string[] {
  if (!v) return [];
  return Array.isArray(v) ? v : [v];
}

class DockerSandbox implements Sandbox {
  readonly id: string;
  private stdout: CappedCollector;
  private stderr: CappedCollector;
  private attachStream?: Duplex;
  private monitor?: CgroupMonitor;
  private disk?: QgroupWatch;
  private dormancy?: DormancyWatch;
  private killReason?: 'budget' | 'cancel' | 'window';
  private releasedAt = 0;
  private destroyed = false;
  private removal?: Promise<void>;

  constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    readonly name: string,
    readonly hostname: string,
    private readonly spec: SandboxSpec,
    public lures?: Lure[],
    private readonly sim?: NetworkSimulator,
    private readonly plan?: PlantPlan,
  ) {
    this.id = container.id;
    this.stdout = new CappedCollector(spec.limits.outputBytes);
    this.stderr = new CappedCollector(spec.limits.outputBytes);
  }

  async start(): Promise<SandboxTarget> {
    const stream = (await this.container.attach({ stream: true, stdout: true, stderr: true, logs: false })) as unknown as Duplex;
    this.attachStream = stream;
    this.docker.modem.demuxStream(stream, this.stdout, this.stderr);
    stream.on('error', () => undefined);
    await this.container.start();
    const info = await this.container.inspect();
    const initPid = info.State.Pid;
    if (!initPid && !this.spec.hold && info.State.Status === 'exited') {
      // Unheld (gVisor): a quick sample can finish before we look; its probe recorded from the start anyway.
      this.releasedAt = Date.now();
      return { containerId: this.id, initPid: 0, cpu: this.spec.cpu, ...numericUser(this.spec.image.user) };
    }
    if (!initPid) throw new Error(`sandbox ${this.name} has no init pid after start (state ${info.State.Status})`);
    const watches = (async () => {
      this.monitor = await CgroupMonitor.forPid(initPid);
      this.disk = await QgroupWatch.forPid(initPid);
      const path = await cgroupV2Path(initPid);
      // runc only: under gVisor the cgroup holds the sentry, not the sample's tasks.
      if (this.spec.runtime === 'runc' && !this.spec.dockerRuntimeName && path) this.dormancy = await DormancyWatch.forCgroup(path, initPid);
      return path;
    })();
    if (!this.spec.hold) {
      const cgroupPath = await watches;
      this.releasedAt = Date.now();
      return { containerId: this.id, initPid, cpu: this.spec.cpu, ...numericUser(this.spec.image.user), cgroupPath };
    }
    // Files and lures are planted (in init's mount namespace, the sandbox's) and the watches set up
    // while the wrapper reaches its stop; then, independent of each other:
    const planting = this.plan ? this.plantFiles(initPid, this.plan) : undefined;
    planting?.catch(() => undefined); // awaited below
    let held: [string | undefined, number];
    try {
      held = await Promise.all([watches, waitForStoppedChild(initPid, 10_000)]);
    } catch (e) {
      await planting?.then((p) => p.kill(), () => undefined);
      throw e;
    }
    const [cgroupPath, hostPid] = held;
    const [, , identity] = await Promise.all([
      // Held and not yet traced: /.dockerenv and our own /.quarantine out (docs/sandbox-tells.md).
      planting ? planting.then((p) => this.finishPlanting(p)) : this.spec.runtime === 'runc' ? removeTells(initPid) : undefined,
      // The sample's namespace exists and nothing in it has run yet: join it to the simulator.
      this.sim?.attach(hostPid),
      readIdentity(hostPid),
    ]);
    return { containerId: this.id, initPid, cgroupPath, cpu: this.spec.cpu, ...identity };
  }

  /**
   * The sandbox's files, from the host in its mount namespace (planter.ts), while the entrypoint
   * is not running yet: the name-resolution files and the lures. Failing to write them fails the start.
   */
  private async plantFiles(initPid: number, plan: PlantPlan): Promise<Planter> {
    const p = Planter.open(plan.binary, initPid);
    try {
      const lurePlan = plan.lures ? await prepareFileLures(p, this.spec.image.user, this.hostname) : undefined;
      await p.put(tarFiles([...plan.files, ...(lurePlan?.entries ?? [])]));
      this.lures = lurePlan ? [...plan.envLures, ...lurePlan.lures] : undefined;
      return p;
    } catch (e) {
      await p.kill();
      throw e;
    }
  }

  /**
   * Once the wrapper is stopped (it was exec'd from /.quarantine): the hold directory unmounted and
   * the tells removed, best effort as removeTells.
   */
  private async finishPlanting(p: Planter): Promise<void> {
    try {
      await p.unmount(HOLD_DIR).catch(() => undefined);
      for (const t of TELL_PATHS) await p.remove(t).catch(() => undefined);
      await p.close();
    } catch (e) {
      await p.kill();
      throw e;
    }
  }

  release(target: SandboxTarget): void {
    this.releasedAt = Date.now();
    if (target.hostPid) process.kill(target.hostPid, 'SIGCONT');
  }

  async wait(signal: AbortSignal): Promise<SandboxExit> {
    const started = this.releasedAt || Date.now();
    const exited = this.container.wait({ condition: 'not-running' }).catch(() => undefined);
    void this.monitor?.sample();
    const sampler = setInterval(() => {
      void this.monitor?.sample();
      void this.disk?.sample();
    }, 100);
    const keeper = new WindowKeeper({
      windowMs: this.spec.limits.windowSeconds * 1000,
      maxWindowMs: Math.max(this.spec.limits.windowSeconds, this.spec.limits.maxWindowSeconds ?? 0) * 1000,
      releasedAtMs: started,
      watch: this.dormancy,
      noWatchReason: 'dormancy not determinable: no host view of the sample\'s tasks under this runtime',
      end: () => void this.kill('window'),
    });
    keeper.start();
    const onAbort = () => void this.kill('cancel');
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      await exited;
    } finally {
      keeper.stop();
      clearInterval(sampler);
      signal.removeEventListener('abort', onAbort);
    }
    const window = keeper.outcome(Date.now(), this.killReason ?? 'exit');
    const runMs = Date.now() - started;
    await Promise.all([this.monitor?.sample(), this.disk?.sample()]);
    const info = await this.container.inspect().catch(() => undefined);
    return {
      exitCode: info?.State.ExitCode ?? null,
      oomKilled: Boolean(info?.State.OOMKilled),
      windowExpired: this.killReason === 'window',
      cancelled: this.killReason === 'cancel',
      budgetExceeded: this.killReason === 'budget',
      runMs,
      window,
    };
  }

  async kill(reason: 'budget' | 'cancel' | 'window'): Promise<void> {
    this.killReason ??= reason;
    await this.monitor?.sample().catch(() => undefined);
    try {
      await this.container.kill({ signal: 'SIGKILL' });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 404 && code !== 409) throw e;
    }
  }

  async limitHits(): Promise<LimitHits> {
    const hits = this.monitor?.latest ?? { pidsLimitHits: 0, oomKills: 0, peakPids: 0 };
    if (!this.disk) return hits;
    await this.disk.sample();
    const d = this.disk.usage;
    return { ...hits, diskLimitHits: d.reached ? 1 : 0, diskUsedBytes: d.usedBytes, diskLimitBytes: d.allowanceBytes };
  }

  async output(_capBytes: number): Promise<CapturedOutput> {
    // Give the attach stream a moment to deliver the last bytes after exit.
    if (this.attachStream && !this.attachStream.readableEnded) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        this.attachStream!.once('end', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return {
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      stdoutTruncated: this.stdout.truncated,
      stderrTruncated: this.stderr.truncated,
    };
  }

  async networkStatus(): Promise<SandboxNetworkStatus> {
    if (!this.sim) return { mode: 'none' };
    const h = await this.sim.health();
    return { mode: 'simulated', capturePath: this.sim.capturePath, simulatorHealthy: h.healthy, ...(h.error ? { simulatorError: h.error } : {}) };
  }

  async retire(): Promise<void> {
    this.attachStream?.destroy();
    await this.sim?.stop();
    this.removal ??= this.removeContainer();
    this.removal.catch(() => undefined); // awaited (and reported) by destroy()
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.attachStream?.destroy();
    try {
      await (this.removal ??= this.removeContainer());
    } finally {
      await this.sim?.stop();
    }
    this.destroyed = true;
  }

  private async removeContainer(): Promise<void> {
    try {
      await this.container.remove({ force: true, v: true });
    } catch (e) {
      if (!isNotFound(e) && (e as { statusCode?: number }).statusCode !== 409) throw e;
    }
  }
}

/** Waits until docker-init's child (our wrapper) exists and is in stopped state. */
async function waitForStoppedChild(initPid: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  while (Date.now() < deadline) {
    const children = await readFile(`/proc/${initPid}/task/${initPid}/children`, 'utf8').catch(() => '');
    const child = Number.parseInt(children.trim().split(/\s+/)[0] ?? '', 10);
    if (child > 0) {
      const stat = await readFile(`/proc/${child}/stat`, 'utf8').catch(() => '');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'T' || state === 't') return child;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
  throw new Error(`sandbox entrypoint wrapper did not reach its stop point within ${timeoutMs} ms`);
}

/**
 * Identity of an unheld sandbox's entrypoint (nothing to read from /proc under gVisor): the image's
 * `USER` when numeric (`1000`, `1000:1000`); a user name or a group from the image's passwd is not
 * resolved (0).
 */
function numericUser(user: string): { uid: number; gid: number } {
  const [u, g] = user.split(':');
  return { uid: /^\d+$/.test(u ?? '') ? Number(u) : 0, gid: /^\d+$/.test(g ?? '') ? Number(g) : 0 };
}

async function cgroupV2Path(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  return /^0::(.+)$/m.exec(text)?.[1];
}

/** Identity of the stopped wrapper from /proc: namespace pid, real uid and gid, audit loginuid. */
async function readIdentity(hostPid: number): Promise<{ hostPid: number; vpid?: number; uid: number; gid: number; loginuid?: number }> {
  const status = await readFile(`/proc/${hostPid}/status`, 'utf8').catch(() => '');
  const loginuid = parseLoginuid(await readFile(`/proc/${hostPid}/loginuid`, 'utf8').catch(() => ''));
  const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(status)?.[1].trim().split(/\s+/) ?? [];
  const nspid = field('NSpid');
  return {
    hostPid,
    vpid: nspid.length > 1 ? Number(nspid[nspid.length - 1]) : undefined,
    uid: Number(field('Uid')[0] ?? 0),
    gid: Number(field('Gid')[0] ?? 0),
    ...(loginuid !== undefined ? { loginuid } : {}),
  };
}
