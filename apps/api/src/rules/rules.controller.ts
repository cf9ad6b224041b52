import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainException } from '#core/errors/domain.exception';
import { Authorize } from '../auth/policy.js';
import { RulesValidationService } from './rules-validation.service.js';

@ApiTags('rules')
@ApiBearerAuth()
@Controller('v1/rules')
export class RulesController {
  constructor(private readonly validation: RulesValidationService) {}

  /**
   * Validates a rules file (YAML body: Content-Type application/yaml, application/x-yaml or
   * text/yaml) exactly as a run would load it, in a worker thread. 200 with per-item results;
   * `valid` is false when an item has an error (with line and column). 400 when the file exceeds
   * a limit (docs/rules-and-scoring.md, "Limits"), naming the item and field; 422 when it cannot be
   * validated within the time or memory limit.
   */
  @Authorize('rules.validate')
  @Post('validate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Validate a Falco-format rules file' })
  @ApiConsumes('application/yaml')
  @ApiBody({ schema: { type: 'string' } })
  validate(@Body() body: unknown) {
    if (typeof body !== 'string' || body.trim() === '') {
      throw DomainException.validation('body', 'must be a non-empty YAML rules file sent as application/yaml');
    }
    return this.validation.validate(body);
  }
}
