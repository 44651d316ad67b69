import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';

/** `GET /health`, outside the global prefix: one of the core's default exclusions (no span, no metric). */
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
