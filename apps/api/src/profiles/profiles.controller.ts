import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ProfileRegistry } from '#core/profiles/profile.registry';
import { Authorize } from '../auth/policy.js';

@ApiTags('profiles')
@ApiBearerAuth()
@Controller('v1/profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfileRegistry) {}

  @Get()
  @Authorize('profile.list')
  list() {
    return {
      items: this.profiles.list().map((p) => ({
        name: p.name,
        description: p.description,
        runtime: p.runtime,
        probe: p.probe,
        capabilities: p.capabilities,
        network: p.network,
        lures: p.lures,
        stimulate: p.stimulate,
        limits: p.limits,
        rules: p.rules.map((r) => r.slice(r.lastIndexOf('/') + 1)),
        allow: p.allow,
        scoring: p.scoring,
        supplyChain: {
          registries: p.supplyChain.registries ?? null,
          allowLocal: p.supplyChain.allowLocal,
          signature: p.supplyChain.signature ? { publicKey: p.supplyChain.signature.keyFile.slice(p.supplyChain.signature.keyFile.lastIndexOf('/') + 1) } : null,
        },
      })),
    };
  }
}
