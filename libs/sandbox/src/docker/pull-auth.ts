import { SupplyChainRejection } from '#core/image/supply-chain';

/** What the Docker engine says when a registry refuses a pull's credentials (or wants some). */
const AUTH_REFUSED = /unauthorized|authentication required|no basic auth credentials|denied: requested access|access to the resource is denied|incorrect username or password/i;

/**
 * A pull the registry refused for authentication is a `registry-auth` rejection (terminal, naming the
 * registry), like the gate's: retrying cannot fix credentials. Other pull errors are returned unchanged
 * (retried as infrastructure errors). The engine's message never carries the password.
 */
export function pullError(e: unknown, name: string, registry: string | undefined, withCredentials: boolean): unknown {
  const message = (e as Error)?.message ?? '';
  if (!registry || !AUTH_REFUSED.test(message)) return e;
  const why = message.replace(/^\(HTTP code \d+\) server error - /, '').trim().slice(0, 300);
  return new SupplyChainRejection(
    'registry-auth',
    withCredentials ? `pull of ${name}: registry ${registry} refused the configured credentials (${why})` : `pull of ${name}: registry ${registry} requires authentication and no credentials are configured for it (${why})`,
  );
}
