import { readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { validateRules } from '#analysis';
import { ApiClient } from './client.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { Progress } from './progress.js';
import { type AnalysisView, analysisText, table } from './render.js';
import { resolveSettings } from './settings.js';

const VERDICT_RANK: Record<string, number> = { clean: 0, suspicious: 1, malicious: 2 };
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'rejected']);

interface GlobalOpts {
  url?: string;
  apiKey?: string;
}

/** Where command output goes (tests give their own streams). */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WriteStream;
  /** The exit code the command chose (set by commands that gate on a verdict). */
  exitCode: ExitCode;
  sleep: (ms: number) => Promise<void>;
}

function clientOf(cmd: Command): ApiClient {
  return new ApiClient(resolveSettings(cmd.optsWithGlobals<GlobalOpts>()));
}

function label(value: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`labels are key=value, got "${value}"`);
  return { ...prev, [value.slice(0, i)]: value.slice(i + 1) };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
  return n;
}

function out(io: Io, text: string, file?: string): void {
  if (file) writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
  else io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** 0, or 3 when the verdict is at or above `failOn`, 4 when inconclusive, 1 when the analysis did not complete. */
export function verdictExitCode(a: Pick<AnalysisView, 'status' | 'verdict'>, failOn?: string): ExitCode {
  if (a.status !== 'completed') return EXIT.failure;
  if (a.verdict === 'inconclusive') return EXIT.inconclusive;
  if (failOn && a.verdict && (VERDICT_RANK[a.verdict] ?? -1) >= VERDICT_RANK[failOn]!) return EXIT.verdictGate;
  if (a.verdict === 'error') return EXIT.failure;
  return EXIT.ok;
}

/** The report in one of the API's renderings: json, html (one self-contained page) or sarif (SARIF 2.1.0). */
async function fetchReport(client: ApiClient, id: string, format: 'json' | 'html' | 'sarif'): Promise<string> {
  const r = await client.request('GET', `/v1/analyses/${encodeURIComponent(id)}/report?format=${format}`, { accept: format === 'html' ? 'text/html' : 'application/json' });
  return typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2);
}

async function render(client: ApiClient, a: AnalysisView, format: string): Promise<string> {
  if (format === 'json') return JSON.stringify(a, null, 2);
  if (format === 'report') return fetchReport(client, a.id, 'json');
  if (format === 'html' || format === 'sarif') return fetchReport(client, a.id, format);
  return analysisText(a);
}

async function waitFor(client: ApiClient, io: Io, id: string, profile: string, timeoutSeconds: number): Promise<AnalysisView> {
  const profiles = await client.request<{ items: { name: string; limits: { windowSeconds: number } }[] }>('GET', '/v1/profiles').catch(() => undefined);
  const window = profiles?.body.items.find((p) => p.name === profile)?.limits.windowSeconds;
  const progress = new Progress(io.stderr, window);
  const until = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const a = (await client.request<AnalysisView>('GET', `/v1/analyses/${encodeURIComponent(id)}`)).body;
    progress.update(a);
    if (TERMINAL.has(a.status)) {
      progress.clear();
      return a;
    }
    if (Date.now() > until) {
      progress.clear();
      throw new CliError(`analysis ${id} did not finish within ${timeoutSeconds} s (still ${a.status}); see: quarantine status ${id}`, EXIT.failure);
    }
    await io.sleep(500);
  }
}

const formatOption = () =>
  new Option('--format <format>', 'text (summary), json (the record), report (the JSON report), html (one self-contained page), sarif (SARIF 2.1.0)').choices(['text', 'json', 'report', 'html', 'sarif']).default('text');

export function registerCommands(program: Command, io: Io): void {
  program
    .command('submit')
    .description('submit an image for analysis')
    .argument('<image>', 'image reference (registry/repo:tag or @sha256:…)')
    .option('--profile <name>', 'sandbox profile (GET /v1/profiles)')
    .option('--probe <name>', "override the profile's probe")
    .option('--label <key=value>', 'label the analysis (repeatable)', label)
    .option('--priority <n>', 'queue priority 1 (first) … 10', positiveInt)
    .option('--seccomp-from <id>', 'run under the seccomp profile generated from this clean analysis (check it before deploying it)')
    .option('--wait', 'wait for the verdict, showing progress on stderr')
    .option('--timeout <seconds>', 'with --wait: give up after this long', positiveInt, 1800)
    .addOption(formatOption())
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(new Option('--fail-on <verdict>', 'with --wait: exit 3 when the verdict is at or above this').choices(['suspicious', 'malicious']))
    .action(async (image: string, o: { profile?: string; probe?: string; label?: Record<string, string>; priority?: number; seccompFrom?: string; wait?: boolean; timeout: number; format: string; output?: string; failOn?: string }, cmd: Command) => {
      if (o.failOn && !o.wait) throw new CliError('--fail-on needs --wait (the verdict is known only at the end)', EXIT.usage);
      const client = clientOf(cmd);
      const body = { image, ...(o.profile ? { profile: o.profile } : {}), ...(o.probe ? { probe: o.probe } : {}), ...(o.label ? { labels: o.label } : {}), ...(o.priority ? { priority: o.priority } : {}), ...(o.seccompFrom ? { seccompFrom: o.seccompFrom } : {}) };
      const created = (await client.request<AnalysisView>('POST', '/v1/analyses', { json: body })).body;
      if (!o.wait) {
        out(io, await render(client, created, o.format === 'report' ? 'json' : o.format), o.output);
        return;
      }
      io.stderr.write(`submitted ${created.id} (${created.image}, profile ${created.profile})\n`);
      const done = await waitFor(client, io, created.id, created.profile, o.timeout);
      out(io, await render(client, done, o.format), o.output);
      io.exitCode = verdictExitCode(done, o.failOn);
    });

  program
    .command('status')
    .description("show an analysis' status, verdict and findings")
    .argument('<id>', 'analysis id')
    .addOption(formatOption())
    .action(async (id: string, o: { format: string }, cmd: Command) => {
      const client = clientOf(cmd);
      const a = (await client.request<AnalysisView>('GET', `/v1/analyses/${encodeURIComponent(id)}`)).body;
      out(io, await render(client, a, o.format));
    });

  program
    .command('report')
    .description("an analysis' full report")
    .argument('<id>', 'analysis id')
    .addOption(new Option('--format <format>', 'json, html (one self-contained page) or sarif (SARIF 2.1.0)').choices(['json', 'html', 'sarif']).default('json'))
    .option('--output <file>', 'write it to a file instead of stdout')
    .action(async (id: string, o: { format: 'json' | 'html' | 'sarif'; output?: string }, cmd: Command) => {
      out(io, await fetchReport(clientOf(cmd), id, o.format), o.output);
    });

  // Hardening profiles from a clean run (docs/hardening.md).
  const hardening = (path: 'seccomp' | 'networkpolicy', q: Record<string, string | undefined>) => async (id: string, o: { output?: string }, cmd: Command) => {
    const qs = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
    const r = await clientOf(cmd).request('GET', `/v1/analyses/${encodeURIComponent(id)}/${path}${qs.size ? `?${qs}` : ''}`);
    out(io, JSON.stringify(r.body, null, 2), o.output);
  };
  program
    .command('seccomp')
    .description('a seccomp profile allowing the syscalls a clean analysis used (Docker/OCI JSON, or a Security Profiles Operator object)')
    .argument('<id>', 'analysis id (clean; probe ebpf with its syscall set, strace or gvisor)')
    .addOption(new Option('--format <format>', 'docker (the profile JSON) or spo (SeccompProfile)').choices(['docker', 'spo']).default('docker'))
    .option('--name <name>', 'spo: metadata.name')
    .option('--namespace <ns>', 'spo: metadata.namespace')
    .option('--output <file>', 'write it to a file instead of stdout')
    .action((id: string, o: { format: string; name?: string; namespace?: string; output?: string }, cmd: Command) =>
      hardening('seccomp', { format: o.format, name: o.name, namespace: o.namespace })(id, o, cmd));
  program
    .command('networkpolicy')
    .description('a NetworkPolicy (or CiliumNetworkPolicy) from the ports a clean analysis listened on and what it reached')
    .argument('<id>', 'analysis id (clean)')
    .addOption(new Option('--format <format>', 'kubernetes or cilium (FQDN egress)').choices(['kubernetes', 'cilium']).default('kubernetes'))
    .option('--selector <labels>', 'pod selector, e.g. app=web,tier=front')
    .option('--name <name>', 'metadata.name')
    .option('--namespace <ns>', 'metadata.namespace')
    .option('--output <file>', 'write it to a file instead of stdout')
    .action((id: string, o: { format: string; selector?: string; name?: string; namespace?: string; output?: string }, cmd: Command) =>
      hardening('networkpolicy', { format: o.format, selector: o.selector, name: o.name, namespace: o.namespace })(id, o, cmd));

  program
    .command('list')
    .description('list analyses, newest first')
    .addOption(new Option('--verdict <verdict>').choices(['clean', 'suspicious', 'malicious', 'inconclusive', 'error']))
    .addOption(new Option('--status <status>').choices(['queued', 'running', 'completed', 'failed', 'cancelled', 'rejected']))
    .option('--image <image>', 'only this image')
    .option('--limit <n>', 'how many (1–100)', positiveInt, 20)
    .addOption(new Option('--format <format>').choices(['text', 'json']).default('text'))
    .action(async (o: { verdict?: string; status?: string; image?: string; limit: number; format: string }, cmd: Command) => {
      const q = new URLSearchParams({ limit: String(o.limit) });
      if (o.verdict) q.set('verdict', o.verdict);
      if (o.status) q.set('status', o.status);
      if (o.image) q.set('image', o.image);
      const r = await clientOf(cmd).request<{ items: AnalysisView[] }>('GET', `/v1/analyses?${q}`);
      if (o.format === 'json') return out(io, JSON.stringify(r.body, null, 2));
      out(io, table(r.body.items.map((a) => [a.id, a.status, a.verdict ?? '-', a.score === null ? '-' : String(a.score), a.createdAt, a.image]), ['ID', 'STATUS', 'VERDICT', 'SCORE', 'CREATED', 'IMAGE']));
    });

  program
    .command('cancel')
    .description('cancel a queued or running analysis')
    .argument('<id>', 'analysis id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const a = (await clientOf(cmd).request<AnalysisView>('DELETE', `/v1/analyses/${encodeURIComponent(id)}`)).body;
      out(io, `${a.id} ${a.status}`);
    });

  const watch = program.command('watch').description('nightly (or scheduled) rescans of an image');
  watch
    .command('add')
    .argument('<image>', 'image reference')
    .option('--schedule <cron>', 'cron schedule (default: the server\'s nightly schedule)')
    .option('--timezone <tz>', 'IANA time zone of the schedule')
    .option('--profile <name>', 'sandbox profile')
    .action(async (image: string, o: { schedule?: string; timezone?: string; profile?: string }, cmd: Command) => {
      const r = await clientOf(cmd).request<{ id: string; schedule: string; nextRunAt?: string }>('POST', '/v1/watches', { json: { image, ...o } });
      out(io, `${r.body.id} ${r.body.schedule}${r.body.nextRunAt ? ` next ${r.body.nextRunAt}` : ''}`);
    });
  watch
    .command('list')
    .addOption(new Option('--format <format>').choices(['text', 'json']).default('text'))
    .action(async (o: { format: string }, cmd: Command) => {
      const r = await clientOf(cmd).request<{ items: { id: string; image: string; schedule: string; profile: string; nextRunAt?: string }[] }>('GET', '/v1/watches');
      if (o.format === 'json') return out(io, JSON.stringify(r.body, null, 2));
      out(io, table(r.body.items.map((w) => [w.id, w.schedule, w.profile, w.nextRunAt ?? '-', w.image]), ['ID', 'SCHEDULE', 'PROFILE', 'NEXT', 'IMAGE']));
    });
  watch
    .command('rm')
    .argument('<id>', 'watch id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await clientOf(cmd).request('DELETE', `/v1/watches/${encodeURIComponent(id)}`);
      out(io, `${id} removed`);
    });

  const webhook = program.command('webhook').description('signed webhooks and ticket integrations');
  webhook
    .command('add')
    .argument('<url>', 'receiver URL')
    .requiredOption('--event <event>', 'event to send (repeatable), e.g. analysis.completed', (v: string, p: string[] = []) => [...p, v])
    .option('--format <format>', 'payload format (generic, jira, …)')
    .option('--min-verdict <verdict>', 'only verdicts at or above this')
    .option('--image <glob>', 'only images matching this glob')
    .option('--description <text>')
    .action(async (url: string, o: { event: string[]; format?: string; minVerdict?: string; image?: string; description?: string }, cmd: Command) => {
      const filter = { ...(o.minVerdict ? { minVerdict: o.minVerdict } : {}), ...(o.image ? { image: o.image } : {}) };
      const body = { url, events: o.event, ...(o.format ? { format: o.format } : {}), ...(Object.keys(filter).length ? { filter } : {}), ...(o.description ? { description: o.description } : {}) };
      const r = await clientOf(cmd).request<{ id: string; secret?: string }>('POST', '/v1/webhooks', { json: body });
      out(io, `${r.body.id}${r.body.secret ? `\nsecret (shown once): ${r.body.secret}` : ''}`);
    });
  webhook
    .command('list')
    .addOption(new Option('--format <format>').choices(['text', 'json']).default('text'))
    .action(async (o: { format: string }, cmd: Command) => {
      const r = await clientOf(cmd).request<{ items: { id: string; url: string; events: string[]; enabled?: boolean; format?: string }[] }>('GET', '/v1/webhooks');
      if (o.format === 'json') return out(io, JSON.stringify(r.body, null, 2));
      out(io, table(r.body.items.map((w) => [w.id, w.enabled === false ? 'disabled' : 'enabled', w.format ?? '-', w.events.join(','), w.url]), ['ID', 'STATE', 'FORMAT', 'EVENTS', 'URL']));
    });
  webhook
    .command('test')
    .description('send a signed test event now and show how the receiver answered')
    .argument('<id>', 'webhook id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const r = await clientOf(cmd).request<{ delivered: boolean; statusCode: number | null; latencyMs: number; error?: string }>('POST', `/v1/webhooks/${encodeURIComponent(id)}/test`);
      out(io, r.body.delivered ? `delivered: ${r.body.statusCode} in ${r.body.latencyMs} ms` : `not delivered: ${r.body.error ?? r.body.statusCode}`);
      if (!r.body.delivered) io.exitCode = EXIT.failure;
    });
  webhook
    .command('rm')
    .argument('<id>', 'webhook id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await clientOf(cmd).request('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`);
      out(io, `${id} removed`);
    });

  const rules = program.command('rules').description('Falco-format rule files');
  rules
    .command('validate')
    .description('validate rule files the way Quarantine loads them (locally; later files extend earlier ones)')
    .argument('<file...>', 'rule files')
    .option('--json', 'the full result as JSON')
    .option('--quiet', 'only items with errors or notes')
    .action(async (files: string[], o: { json?: boolean; quiet?: boolean }) => {
      const sources = files.map((f) => {
        try {
          return { name: f, text: readFileSync(f, 'utf8') };
        } catch (e) {
          throw new CliError(`cannot read ${f}: ${(e as Error).message}`, EXIT.usage);
        }
      });
      const result = await validateRules(sources);
      if (o.json) out(io, JSON.stringify(result, null, 2));
      else {
        for (const item of result.items) {
          if (o.quiet && item.status === 'loaded' && !item.reason) continue;
          const where = item.line ? `${item.file}:${item.line}:${item.column ?? 1}` : item.file;
          out(io, `${where}: ${item.status.padEnd(7)} ${item.kind} "${item.name}"${item.reason ? ` — ${item.reason}` : ''}`);
        }
        const counts = Object.entries(result.summary).map(([kind, c]) => `${kind}: ${c.loaded} loaded, ${c.skipped} skipped, ${c.error} errors`);
        out(io, `${result.valid ? 'valid' : 'INVALID'} (version ${result.version.slice(0, 12)}; ${counts.join('; ')})`);
      }
      if (!result.valid) io.exitCode = EXIT.failure;
    });

  const keys = program.command('keys').description('API keys (admin)');
  keys
    .command('create')
    .argument('<name>', 'who or what the key is for')
    .addOption(new Option('--role <role>').choices(['analyst', 'admin']).default('analyst'))
    .action(async (name: string, o: { role: string }, cmd: Command) => {
      const r = await clientOf(cmd).request<{ id: string; key: string; role: string }>('POST', '/v1/api-keys', { json: { name, role: o.role } });
      io.stderr.write('the key is shown once: store it now\n');
      out(io, `${r.body.id} ${r.body.role} ${r.body.key}`);
    });
}
