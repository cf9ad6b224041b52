import { SetMetadata } from '@nestjs/common';
import type { Role } from '#core/storage/api-key.repository';

export const ROLES_KEY = 'quarantine:roles';
export const PUBLIC_KEY = 'quarantine:public';

/** Routes reachable without an API key (health, readiness). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** Roles allowed on a route; analysts submit and read, admins also manage keys. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
