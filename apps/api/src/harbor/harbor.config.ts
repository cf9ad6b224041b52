import { ConfigError, envInt } from '#core/config/config';

type Env = Record<string, string | undefined>;

/** The Harbor scanner adapter's settings (docs/harbor.md). Off unless HARBOR_ADAPTER_TOKEN is set. */
export interface HarborAdapterConfig {
  /** The bearer token Harbor sends (`Authorization: Bearer <token>`, set on the scanner registration). */
  token?: string;
  /** Profile of the analyses Harbor's scan requests start. */
  profile: string;
  /** Seconds Harbor is told to wait (`Refresh-After`) while an analysis runs. */
  refreshAfterSeconds: number;
}

export function loadHarborAdapterConfig(env: Env): HarborAdapterConfig {
  const token = env.HARBOR_ADAPTER_TOKEN?.trim() || undefined;
  if (token !== undefined && (token.length < 16 || token.length > 512 || !/^[\x21-\x7e]+$/.test(token))) {
    throw new ConfigError('HARBOR_ADAPTER_TOKEN', 'must be 16 to 512 visible ASCII characters (generate one with `openssl rand -hex 32`)');
  }
  const profile = env.HARBOR_ADAPTER_PROFILE?.trim() || 'default';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(profile)) throw new ConfigError('HARBOR_ADAPTER_PROFILE', `must be a profile name, got "${profile}"`);
  return { token, profile, refreshAfterSeconds: envInt(env, 'HARBOR_ADAPTER_REFRESH_AFTER', 10, 1, 3600) };
}
