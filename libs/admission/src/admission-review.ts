/**
 * AdmissionReview v1 (admission.k8s.io/v1): parsing, the pod specs of each workload kind, and the
 * response shapes. Plain TypeScript, no Nest, so every shape is unit-tested on fixtures.
 */

export const REVIEW_API_VERSION = 'admission.k8s.io/v1';

/** Where each workload kind keeps its pod spec. */
export const POD_SPEC_PATH: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

export interface ImageUse {
  image: string;
  container: string;
  list: (typeof CONTAINER_LISTS)[number];
  /** JSON pointer to the `image` field, for the mutating patch. */
  pointer: string;
}

export interface ParsedReview {
  apiVersion: string;
  uid: string;
  kind: string;
  namespace?: string;
  name?: string;
  operation: string;
  dryRun: boolean;
  /** Pod kinds: pointer to the pod spec, e.g. `/spec/template/spec`. */
  podSpecPointer?: string;
  podSpec?: Record<string, unknown>;
  images: ImageUse[];
  /** Namespace reviews: the namespace's own labels. */
  namespaceLabels?: Record<string, string>;
  /** Namespace reviews: the namespace's name. */
  namespaceName?: string;
  /** UPDATE: `images` lists only images added or changed against the old object. */
  unchangedImages?: boolean;
  /** `request.userInfo.username`: who asked (for the audit log of admission overrides). */
  user?: string;
}

/** A review we cannot judge. `uid` is set when the review was readable enough to answer in kind. */
export class AdmissionReviewError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly uid?: string,
    readonly apiVersion: string = REVIEW_API_VERSION,
  ) {
    super(`${field}: ${message}`);
    this.name = 'AdmissionReviewError';
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


export function parseReview(body: unknown): ParsedReview {
  if (!isObj(body)) throw new AdmissionReviewError('body', 'must be an AdmissionReview JSON object');
  if (body.kind !== 'AdmissionReview') throw new AdmissionReviewError('kind', `must be "AdmissionReview", got ${JSON.stringify(body.kind)}`);
  if (body.apiVersion !== REVIEW_API_VERSION) throw new AdmissionReviewError('apiVersion', `must be "${REVIEW_API_VERSION}", got ${JSON.stringify(body.apiVersion)}`);
  const req = body.request;
  if (!isObj(req)) throw new AdmissionReviewError('request', 'must be an object');
  if (typeof req.uid !== 'string' || req.uid.length === 0 || req.uid.length > 256) throw new AdmissionReviewError('request.uid', 'must be a non-empty string');
  const uid = req.uid;
  const fail = (field: string, message: string): never => {
    throw new AdmissionReviewError(field, message, uid);
  };
  if (!isObj(req.kind) || typeof req.kind.kind !== 'string') fail('request.kind.kind', 'must be a string');
  const kind = (req.kind as { kind: string }).kind;
  if (typeof req.operation !== 'string') fail('request.operation', 'must be a string');
  const out: ParsedReview = {
    apiVersion: REVIEW_API_VERSION,
    uid,
    kind,
    namespace: typeof req.namespace === 'string' && req.namespace ? req.namespace : undefined,
    name: typeof req.name === 'string' ? req.name : undefined,
    operation: req.operation as string,
    dryRun: req.dryRun === true,
    images: [],
  };
  const user = isObj(req.userInfo) ? req.userInfo.username : undefined;
  if (typeof user === 'string' && user) out.user = user.slice(0, 256);
  if (out.operation === 'DELETE' || out.operation === 'CONNECT') return out;
  const obj = req.object;
  if (kind === 'Namespace') {
    if (!isObj(obj) || !isObj(obj.metadata)) fail('request.object.metadata', 'must be an object');
    const md = (obj as { metadata: Record<string, unknown> }).metadata;
    const labels = md.labels ?? {};
    if (!isObj(labels) || Object.values(labels).some((v) => typeof v !== 'string')) fail('request.object.metadata.labels', 'must map strings to strings');
    out.namespaceLabels = labels as Record<string, string>;
    out.namespaceName = typeof md.name === 'string' ? md.name : out.name;
    return out;
  }
  const path = POD_SPEC_PATH[kind];
  if (!path) return out; // not a workload: nothing to check
  if (!isObj(obj)) return fail('request.object', `must be the ${kind} object`);
  let cur: unknown = obj;
  const walked: string[] = ['request', 'object'];
  for (const step of path) {
    walked.push(step);
    cur = (cur as Record<string, unknown>)[step];
    if (!isObj(cur)) fail(walked.join('.'), `must be an object (the ${kind}'s pod ${step === 'spec' ? 'spec' : step})`);
  }
  const spec = cur as Record<string, unknown>;
  out.podSpec = spec;
  out.podSpecPointer = `/${path.join('/')}`;
  for (const list of CONTAINER_LISTS) {
    const arr = spec[list];
    if (arr === undefined || arr === null) continue;
    const field = `${walked.join('.')}.${list}`;
    if (!Array.isArray(arr)) fail(field, 'must be a list of containers');
    (arr as unknown[]).forEach((c, i) => {
      if (!isObj(c)) fail(`${field}[${i}]`, 'must be a container object');
      const container = c as Record<string, unknown>;
      if (typeof container.image !== 'string' || container.image.trim() === '') fail(`${field}[${i}].image`, 'must be a non-empty string');
      out.images.push({
        image: (container.image as string).trim(),
        container: typeof container.name === 'string' ? container.name : `${list}[${i}]`,
        list,
        pointer: `${out.podSpecPointer}/${list}/${i}/image`,
      });
    });
  }
  // An UPDATE is judged on the images it changes: a label edit or a scale of a running workload is
  // not blocked by a verdict that turned bad later (new pods of it are, through their own CREATE).
  if (out.operation === 'UPDATE' && isObj(req.oldObject)) {
    const before = new Set(imagesAt(req.oldObject, path).map((u) => `${u.list}/${u.container}=${u.image}`));
    out.images = out.images.filter((u) => !before.has(`${u.list}/${u.container}=${u.image}`));
    out.unchangedImages = true;
  }
  if (kind === 'Pod' && !out.images.some((u) => u.list === 'containers') && out.operation === 'CREATE') {
    fail(`${walked.join('.')}.containers`, 'a Pod needs at least one container');
  }
  return out;
}

/** The images of an old object (best effort: malformed parts are skipped, nothing throws). */
function imagesAt(obj: Record<string, unknown>, path: readonly string[]): { list: string; container: string; image: string }[] {
  let cur: unknown = obj;
  for (const step of path) {
    if (!isObj(cur)) return [];
    cur = cur[step];
  }
  if (!isObj(cur)) return [];
  const out: { list: string; container: string; image: string }[] = [];
  for (const list of CONTAINER_LISTS) {
    const arr = cur[list];
    if (!Array.isArray(arr)) continue;
    arr.forEach((c: unknown, i) => {
      if (isObj(c) && typeof c.image === 'string') out.push({ list, container: typeof c.name === 'string' ? c.name : `${list}[${i}]`, image: c.image.trim() });
    });
  }
  return out;
}

export interface ReviewResponse {
  apiVersion: string;
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string; reason?: string };
    warnings?: string[];
    patchType?: 'JSONPatch';
    patch?: string;
  };
}

export function reviewResponse(
  uid: string,
  allowed: boolean,
  opts: { message?: string; code?: number; warnings?: string[]; patch?: unknown[]; apiVersion?: string } = {},
): ReviewResponse {
  const response: ReviewResponse['response'] = { uid, allowed };
  if (opts.message !== undefined) response.status = { code: opts.code ?? (allowed ? 200 : 403), message: opts.message, ...(allowed ? {} : { reason: 'Forbidden' }) };
  // The API server limits each warning to 256 characters (and their number); longer ones are cut.
  if (opts.warnings && opts.warnings.length > 0) response.warnings = opts.warnings.slice(0, 20).map((w) => (w.length > 250 ? `${w.slice(0, 247)}...` : w));
  if (opts.patch && opts.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(opts.patch)).toString('base64');
  }
  return { apiVersion: opts.apiVersion ?? REVIEW_API_VERSION, kind: 'AdmissionReview', response };
}


