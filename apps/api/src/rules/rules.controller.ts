import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { validateRules } from '#analysis';
import { DomainException } from '#core/errors/domain.exception';
import { Authorize } from '../auth/policy.js';

@ApiTags('rules')
@ApiBearerAuth()
@Controller('v1/rules')
export class RulesController {
  /**
   * Validates a rules file (YAML body: Content-Type application/yaml, application/x-yaml or
   * text/yaml) exactly as a run would load it. 200 with per-item results; `valid` is false when an
   * item has an error (with line and column).
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
    return validateRules([{ name: 'request.yaml', text: body }]);
  }
}
