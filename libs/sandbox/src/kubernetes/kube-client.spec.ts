/**
 * The client-node adapter against an HTTP server on loopback that answers the few Kubernetes API
 * requests the adapter makes (discovery, create, delete, list, merge patch, watch stream, log
 * stream). Not an API server: it checks that the adapter sends the right requests and maps the
 * answers (status codes, Status messages, streamed lines) the way the runtime expects.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { ClientNodeKubeClient, KubeApiError, type PodEvent } from './kube-client.js';

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  body: string;
}

const seen: Seen[] = [];
let server: Server;
let client: ClientNodeKubeClient;

const discovery: Record<string, unknown> = {
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'namespaces', namespaced: false, kind: 'Namespace', verbs: ['create'] }, { name: 'pods', namespaced: true, kind: 'Pod', verbs: ['create'] }] },
  '/apis/networking.k8s.io/v1': { kind: 'APIResourceList', groupVersion: 'networking.k8s.io/v1', resources: [{ name: 'networkpolicies', namespaced: true, kind: 'NetworkPolicy', verbs: ['create'] }] },
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push({ method: req.method ?? '', url: `${url.pathname}${url.search}`, contentType: req.headers['content-type'], body });
  const path = url.pathname;
  if (req.method === 'GET' && discovery[path]) return json(res, 200, discovery[path]);
  if (req.method === 'POST' && path === '/api/v1/namespaces') return json(res, 201, JSON.parse(body));
  if (req.method === 'POST' && path === '/apis/networking.k8s.io/v1/namespaces/qsbx-1/networkpolicies') return json(res, 201, JSON.parse(body));
  if (req.method === 'POST' && path === '/api/v1/namespaces/qsbx-1/pods') {
    return json(res, 403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'pods "sample" is forbidden: error looking up service account qsbx-1/default' });
  }
  if (req.method === 'DELETE' && path === '/api/v1/namespaces/qsbx-1') return json(res, 200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'qsbx-1' }, status: { phase: 'Terminating' } });
  if (req.method === 'DELETE' && path === '/api/v1/namespaces/gone') return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'namespaces "gone" not found' });
  if (req.method === 'GET' && path === '/api/v1/namespaces' && url.searchParams.get('watch') !== 'true') {
    return json(res, 200, {
      kind: 'NamespaceList', apiVersion: 'v1', metadata: {},
      items: [{ metadata: { name: 'qsbx-1', labels: { 'quarantine.io/sandbox': 'true' }, annotations: { 'quarantine.io/deadline': '2026-01-01T00:00:00.000Z' } }, status: { phase: 'Active' } }],
    });
  }
  if (req.method === 'PATCH' && path === '/api/v1/namespaces/qsbx-1/pods/sample') return json(res, 200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'sample' }, spec: { containers: [] } });
  if (req.method === 'GET' && path === '/api/v1/namespaces/qsbx-1/pods' && url.searchParams.get('watch') === 'true') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'sample' }, status: { phase: 'Pending' } } })}\n`);
    setTimeout(() => res.end(`${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'sample' }, status: { phase: 'Running' } } })}\n`), 20);
    return;
  }
  if (req.method === 'GET' && path === '/api/v1/namespaces/qsbx-1/pods/sample/log') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('#quarantine-probe started\n1 170000');
    setTimeout(() => res.end('0000.1 execve("/bin/sh") = 0\n'), 20);
    return;
  }
  json(res, 404, { kind: 'Status', code: 404, message: `no route ${req.method} ${path}` });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  client = new ClientNodeKubeClient(kc);
});
afterAll(() => new Promise((r) => server.close(r)));

describe('ClientNodeKubeClient (loopback HTTP)', () => {
  it('creates cluster-scoped and namespaced objects at their API paths', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'qsbx-1' } });
    await client.create({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'qsbx-1' }, spec: { podSelector: {} } });
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts.map((p) => p.url)).toEqual(['/api/v1/namespaces', '/apis/networking.k8s.io/v1/namespaces/qsbx-1/networkpolicies']);
    expect(JSON.parse(posts[1].body)).toMatchObject({ kind: 'NetworkPolicy', spec: { podSelector: {} } });
  });

  it("maps refusals to KubeApiError with the server's status and message", async () => {
    const e = await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sample', namespace: 'qsbx-1' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KubeApiError);
    expect(e).toMatchObject({ status: 403 });
    expect((e as Error).message).toContain('error looking up service account');
  });

  it('deletes namespaces in the background, a missing one is absent; lists by label', async () => {
    expect(await client.deleteNamespace('qsbx-1')).toBe('deleted');
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/v1/namespaces/qsbx-1?propagationPolicy=Background' });
    expect(await client.deleteNamespace('gone')).toBe('absent');
    const list = await client.listNamespaces('quarantine.io/sandbox=true');
    expect(seen.at(-1)?.url).toBe('/api/v1/namespaces?labelSelector=quarantine.io%2Fsandbox%3Dtrue');
    expect(list).toEqual([{ name: 'qsbx-1', labels: { 'quarantine.io/sandbox': 'true' }, annotations: { 'quarantine.io/deadline': '2026-01-01T00:00:00.000Z' }, phase: 'Active' }]);
  });

  it('lowers activeDeadlineSeconds with a JSON merge patch', async () => {
    await client.patchPodDeadline('qsbx-1', 'sample', 1);
    const p = seen.at(-1)!;
    expect(p).toMatchObject({ method: 'PATCH', url: '/api/v1/namespaces/qsbx-1/pods/sample', contentType: 'application/merge-patch+json' });
    expect(JSON.parse(p.body)).toEqual({ spec: { activeDeadlineSeconds: 1 } });
  });

  it('watches one pod by field selector and reports the end of the watch', async () => {
    const events: [PodEvent, string | undefined][] = [];
    const done = new Promise<Error | undefined>((resolve) => {
      void client.watchPod('qsbx-1', 'sample', (t, pod) => events.push([t, pod.status?.phase]), resolve);
    });
    expect(await done).toBeUndefined();
    expect(events).toEqual([['ADDED', 'Pending'], ['MODIFIED', 'Running']]);
    expect(seen.at(-1)?.url).toBe('/api/v1/namespaces/qsbx-1/pods?watch=true&fieldSelector=metadata.name%3Dsample');
  });

  it("streams a container's log into a sink, which ends with the stream", async () => {
    let text = '';
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
    const ended = new Promise((r) => sink.on('finish', r));
    await client.streamLog('qsbx-1', 'sample', 'probe', sink, { follow: true, sinceTime: '2026-01-01T00:00:09Z' });
    await ended;
    expect(text).toBe('#quarantine-probe started\n1 1700000000.1 execve("/bin/sh") = 0\n');
    const url = new URL(`http://x${seen.at(-1)!.url}`);
    expect(url.pathname).toBe('/api/v1/namespaces/qsbx-1/pods/sample/log');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ container: 'probe', follow: 'true', sinceTime: '2026-01-01T00:00:09Z' });
  });
});
