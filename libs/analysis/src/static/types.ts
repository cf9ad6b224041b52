/**
 * Static image checks (issue 18): what an image is, read without running it, and what the checks
 * concluded. Plain data: the reader (libs/sandbox/src/docker/image-reader.ts) fills an
 * ImageDescription through the Docker engine; the checks (checks.ts) are pure functions over it.
 */
import type { Priority } from '../rules/types.js';

/** A setuid / setgid file found in the image's filesystem. */
export interface SpecialFile {
  /** Absolute path inside the image. */
  path: string;
  /** Permission bits (with setuid 0o4000, setgid 0o2000, sticky 0o1000). */
  mode: number;
  uid: number;
}

/** What the reader learnt from the image's filesystem (the flattened layers, as `docker export` gives them). */
export interface ImageFiles {
  /** Entries examined. */
  entries: number;
  /** Bytes of the filesystem stream read. */
  bytes: number;
  /** Set when the scan stopped early (a cap or the deadline): the lists below are partial. */
  incomplete?: string;
  /** Regular files (or hard links) with setuid or setgid bits, at most `maxListed`. */
  setuid: SpecialFile[];
  /** Directories writable by everyone (mode & 0o002), at most `maxListed`. */
  worldWritableDirs: SpecialFile[];
  /** Paths of the binaries of interest that exist (package managers, shells; see minimal.ts). */
  present: string[];
  /** Contents (capped) of the few small files the checks read: `/etc/os-release`, `/usr/lib/os-release`. */
  files: Record<string, string>;
  /** Symlinks among those files: path → target as stored. */
  links: Record<string, string>;
}

/** What the static checks are given: the image config (inspect + history) and its filesystem facts. */
export interface ImageDescription {
  imageId: string;
  /** `Config.User`: empty when the image sets none (then it runs as root). */
  user: string;
  /** `Config.Env`, `KEY=value` strings. */
  env: string[];
  labels: Record<string, string>;
  /** `Config.Healthcheck.Test` (`["NONE"]` disables an inherited one); undefined when there is none. */
  healthcheck?: string[];
  /** `docker history`: the instruction that made each layer (newest first, as the engine lists it). */
  history: { createdBy: string; emptyLayer: boolean }[];
  /** Image size in bytes (all layers). */
  sizeBytes: number;
  /** Layers in the image's rootfs (`RootFS.Layers`). */
  layers: number;
  /** Undefined when the filesystem could not be read (`filesError` says why). */
  files?: ImageFiles;
  filesError?: string;
}

/** One check's outcome when it found something (checks that pass produce nothing). */
export interface StaticCheckResult {
  /** Stable id, e.g. `root-user`, `secret-env`; usable in rules (`static.check`) and admission (ADMISSION_DENY_STATIC). */
  check: string;
  /** CIS Docker Benchmark id (`4.1`), or our own (`Q.1`) for checks the benchmark does not have. */
  cis: string;
  title: string;
  priority: Priority;
  /** How many items the check found (files, variables, …). */
  count: number;
  /** What it found, redacted where it could be a secret (never a secret value), at most 20. */
  items: string[];
  /** One line for the finding's output. */
  detail: string;
}

/** What a profile's `static:` block says (libs/core/src/profiles/profile-static.ts parses it). */
export interface StaticSettings {
  /** Run the checks (default true). */
  enabled: boolean;
  /** The image should be minimal: package managers and shells present are findings. */
  minimal: boolean;
  /** Image size limit in MiB (a finding above it); undefined: none. */
  maxSizeMb?: number;
  /** Layer count limit; undefined: none. */
  maxLayers?: number;
  /** Per-check priority overrides, or `off` to skip a check. */
  checks: Record<string, Priority | 'off'>;
  /** Points per priority for static findings (scoring.ts; defaults in DEFAULT_STATIC_WEIGHTS). */
  weights: Partial<Record<Priority, number>>;
  /** Static findings together add at most this many points (default 20). */
  cap?: number;
}

export const DEFAULT_STATIC_SETTINGS: StaticSettings = { enabled: true, minimal: false, checks: {}, weights: {} };

/**
 * The static part of an analysis (RunFacts.static, the report's `static` section): the results are
 * kept with the stored run so a rescore re-scores them without reading the image again.
 */
export interface StaticScan {
  /** `done`, `partial` (filesystem unreadable or cut: config checks still ran), `skipped` (disabled or not possible here). */
  status: 'done' | 'partial' | 'skipped';
  /** Why partial or skipped. */
  reason?: string;
  results: StaticCheckResult[];
  /** Base OS from os-release, when found. */
  os?: { id: string; versionId?: string; name?: string; eol?: string; eolStatus: 'supported' | 'end-of-life' | 'unknown' };
  image?: { sizeBytes: number; layers: number; user: string; entries?: number; bytes?: number };
  /** Time spent reading and checking the image, ms. */
  ms: number;
  /** The date the EOL status was judged against (YYYY-MM-DD). */
  checkedOn?: string;
}
