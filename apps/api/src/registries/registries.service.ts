import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode } from '#core/errors/domain.exception';
import { credentialProblem, normalizeRegistryHost } from '#core/image/registry-credentials';
import { secretsAvailable } from '../common/secrets-available.js';
import type { Principal } from '#core/storage/api-key.repository';
import { type CredentialView, RegistryCredentialRepository } from '#core/storage/registry-credential.repository';
import type { PutCredentialsDto } from './dto/put-credentials.dto.js';

/** Registry credentials managed through the API (docs/registries.md): admin-only, secrets never returned. */
@Injectable()
export class RegistriesService {
  constructor(private readonly repo: RegistryCredentialRepository) {}

  async put(rawHost: string, dto: PutCredentialsDto, by: Principal): Promise<CredentialView> {
    const host = hostParam(rawHost);
    const secret = { username: dto.username, password: dto.password, identityToken: dto.identityToken };
    for (const k of Object.keys(secret) as (keyof typeof secret)[]) if (secret[k] === undefined) delete secret[k];
    const problem = credentialProblem(secret);
    if (problem) throw DomainException.validation(problem.field, problem.message);
    return secretsAvailable(this.repo.put(host, secret, by.keyId));
  }

  async get(rawHost: string): Promise<CredentialView> {
    const host = hostParam(rawHost);
    const view = await secretsAvailable(this.repo.view(host));
    if (!view) throw DomainException.notFound('credentials for registry', host);
    return view;
  }

  list(): Promise<CredentialView[]> {
    return this.repo.list();
  }

  async remove(rawHost: string): Promise<void> {
    const host = hostParam(rawHost);
    if (!(await this.repo.remove(host))) throw DomainException.notFound('credentials for registry', host);
  }
}

/** The `:host` parameter: a registry host[:port] (normalized: lower case, Docker Hub aliases folded). */
export function hostParam(raw: string): string {
  const host = typeof raw === 'string' && raw.length <= 260 ? normalizeRegistryHost(raw) : null;
  if (!host || /[/]/.test(raw) || /^[a-z]+:/i.test(raw.replace(/:\d+$/, ''))) throw DomainException.validation('host', 'must be a registry host[:port], e.g. registry.example.com or 127.0.0.1:5001');
  return host;
}

