/**
 * The file of a worker thread (piscina) next to the module that starts it: JavaScript in dist/, or
 * TypeScript through tsx when running from source (tests). `moduleUrl` is the caller's
 * `import.meta.url`, `name` the worker's file name without extension.
 */
export function workerEntry(moduleUrl: string, name: string): { filename: string; execArgv: string[] } {
  if (moduleUrl.endsWith('.ts')) return { filename: new URL(`./${name}.ts`, moduleUrl).href, execArgv: ['--import', 'tsx'] };
  return { filename: new URL(`./${name}.js`, moduleUrl).href, execArgv: [] };
}
