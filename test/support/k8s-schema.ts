/**
 * Validates Kubernetes objects against the Kubernetes OpenAPI schemas, as compiled by the pinned
 * `kubernetes-models` package (5.1.0, exact): one validator per apiVersion/kind from its `_schemas`.
 *
 * Those schemas accept unknown fields (the API server would drop or reject them), so a typo like
 * `securityContex` would pass. A strict check is layered on top: the object is wrapped in proxies
 * that record every property the compiled validator reads; a schema-typed object reads exactly its
 * known properties (maps such as labels are iterated, so all their keys count as read). Any key the
 * validator never looked at is a field the schema does not know, reported with its JSON path.
 */
export interface SchemaProblem {
  path: string;
  message: string;
}

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; keyword: string; params: unknown }[] | null };

const cache = new Map<string, Validator>();

/** `networking.k8s.io` → `Networking`, `rbac.authorization.k8s.io` → `Rbac` (the generator keeps the first label), core → `Core`. */
function groupPart(group: string): string {
  if (group === '') return 'Core';
  const first = group.split('.')[0];
  return first.charAt(0).toUpperCase() + first.slice(1);
}

export function schemaName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const v = version.charAt(0).toUpperCase() + version.slice(1);
  return `IoK8sApi${groupPart(group)}${v}${kind}`;
}

async function validatorFor(apiVersion: string, kind: string): Promise<Validator> {
  const name = schemaName(apiVersion, kind);
  let v = cache.get(name);
  if (!v) {
    let mod: { validate: Validator };
    try {
      mod = (await import(`kubernetes-models/_schemas/${name}`)) as { validate: Validator };
    } catch {
      throw new Error(`no Kubernetes schema for ${apiVersion} ${kind} (looked for ${name})`);
    }
    v = mod.validate;
    cache.set(name, v);
  }
  return v;
}

interface Seen {
  value: object;
  read: Set<string>;
}

function track(value: unknown, path: string, seen: Map<string, Seen>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const read = new Set<string>();
  seen.set(path, { value, read });
  const copy: unknown = Array.isArray(value)
    ? value.map((v, i) => track(v, `${path}/${i}`, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, seen)]));
  return new Proxy(copy as object, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      const keys = Reflect.ownKeys(target);
      for (const k of keys) if (typeof k === 'string') read.add(k);
      return keys;
    },
  });
}

/** Schema errors plus unknown fields of one object; empty when it is valid. */
export async function validateK8sObject(obj: unknown): Promise<SchemaProblem[]> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [{ path: '', message: 'is not an object' }];
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [{ path: '', message: 'has no apiVersion/kind' }];
  const validate = await validatorFor(apiVersion, kind);
  const seen = new Map<string, Seen>();
  const ok = validate(track(obj, '', seen));
  const problems: SchemaProblem[] = ok ? [] : (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: `${e.keyword}: ${e.message ?? JSON.stringify(e.params)}` }));
  for (const [path, { value, read }] of seen) {
    if (Array.isArray(value)) continue;
    for (const k of Object.keys(value)) if (!read.has(k)) problems.push({ path: `${path}/${k}`, message: 'unknown field' });
  }
  return problems;
}

/** Throws with every problem listed (for `expect(...).resolves`-free use in tests). */
export async function assertValidK8sObject(obj: unknown, where = ''): Promise<void> {
  const problems = await validateK8sObject(obj);
  if (problems.length > 0) {
    const o = obj as { kind?: string; metadata?: { name?: string } };
    throw new Error(`${where}${o.kind ?? '?'} ${o.metadata?.name ?? ''}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  }
}
