import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { toBody } from '../common/http-exception.filter.js';
import { CONSOLE_CSP, errorPage } from './console-views.js';

/** Console errors as pages a person reads (same status codes as the API; a 401 offers the sign-in page). */
@Catch()
export class ConsoleErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<{ headersSent: boolean; status(n: number): { send(b: string): void }; setHeader(n: string, v: string): void }>();
    const req = http.getRequest<{ principal?: unknown }>();
    const [status, body] = toBody(exception);
    if (res.headersSent) return;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (body.details?.length) body.message = `${body.message} (${body.details.map((d) => d.field).join(', ')})`;
    res.status(status).send(errorPage(status, `${body.code}: ${body.message}`, req.principal !== undefined));
  }
}
