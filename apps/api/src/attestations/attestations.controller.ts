import { Controller, Get, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import { Public } from '../auth/auth.decorators.js';
import { Authorize } from '../auth/policy.js';
import { AttestationQueryDto, PublicKeyQueryDto } from './dto/attestation-query.dto.js';
import { AttestationsService } from './attestations.service.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => DomainException.validation('id', 'must be a UUID') });

interface Res {
  setHeader(name: string, value: string): void;
}

@ApiTags('attestations')
@Controller()
export class AttestationsController {
  constructor(private readonly attestations: AttestationsService) {}

  /** Public, like any public key: what cluster policies (Kyverno, policy-controller, cosign) verify with. */
  @Get('v1/attestations/public-key')
  @Public()
  @ApiProduces('application/x-pem-file', 'application/json')
  @ApiOperation({ summary: 'The attestation public key (PEM), or ?format=json: current and previous keys with keyids and validity' })
  publicKey(@Query() q: PublicKeyQueryDto, @Res({ passthrough: true }) res: Res) {
    if (q.format === 'json') return this.attestations.publicKeys();
    const pem = this.attestations.publicKeyPem();
    res.setHeader('Content-Type', 'application/x-pem-file');
    return pem;
  }

  @Get('v1/analyses/:id/attestation')
  @Authorize('attestation.read')
  @ApiBearerAuth()
  @ApiProduces('application/json')
  @ApiOperation({ summary: 'The signed verdict attestation (DSSE envelope, in-toto statement), or ?format=statement for the decoded statement' })
  async attestation(@Param('id', uuid) id: string, @Query() q: AttestationQueryDto) {
    return q.format === 'statement' ? this.attestations.statement(id) : this.attestations.envelope(id);
  }
}
