import { randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';

/**
 * Keeping a Docker sandbox from advertising itself (issue 11, "no sandbox tells"): a hostname
 * shaped like a Kubernetes pod's, and no `/.dockerenv` or `/.quarantine/` inside. What still gives
 * it away is listed in docs/sandbox-tells.md.
 */

/** Kubernetes' pod-name suffix alphabet (no vowels, no look-alikes). */
const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function k8sChars(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += K8S_ALPHABET[randomInt(K8S_ALPHABET.length)];
  return s;
}

/**
 * A Deployment pod's name for the image: `<app>-<replicaset hash>-<5 chars>`, the app being the
 * image repository's last path segment (`nginx-7c5ddbdf54-x2kqp`), `app` when it has none usable.
 * Never 12 hex characters (Docker's default, a classic tell). At most 63 characters.
 */
export function podLikeHostname(repoTags: readonly string[]): string {
  const repo = (repoTags[0] ?? '').replace(/:[^/:]*$/, '');
  let app = (repo.split('/').pop() ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  if (!/^[a-z]/.test(app)) app = 'app';
  return `${app}-${k8sChars(randomInt(9, 11))}-${k8sChars(5)}`;
}

/** Files Docker or Quarantine leave in the container's root that name them. */
export const TELL_PATHS = ['/.dockerenv', '/.quarantine'] as const;

/**
 * Removes the tells from a started, still-held runc sandbox, from the host through the init
 * process's root (`/proc/<pid>/root`): nothing runs inside and nothing is traced. The held wrapper
 * has already been loaded, so deleting `/.quarantine/hold` does not stop it from exec'ing the
 * entrypoint. Returns the paths that could not be removed.
 */
export async function removeTells(initPid: number): Promise<string[]> {
  const failed: string[] = [];
  for (const p of TELL_PATHS) {
    try {
      await rm(`/proc/${initPid}/root${p}`, { recursive: true, force: true });
    } catch {
      failed.push(p);
    }
  }
  return failed;
}
