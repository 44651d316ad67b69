import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
// biome-ignore lint/style/useImportType: Nest injects by the class emitDecoratorMetadata records, a value import.
import { Settings } from './settings.js';

/** Writes need `x-api-key`; a missing or wrong key is a 401 (a client error: the span is not an error). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly settings: Settings) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    if (request.headers['x-api-key'] !== this.settings.apiKey) throw new UnauthorizedException('x-api-key required');
    return true;
  }
}
