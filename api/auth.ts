import { timingSafeEqual } from 'node:crypto';
import type { ApiToken, Scope } from '../config/config.js';
import { ApiError } from './errors.js';

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Without configured tokens the server is loopback-only (enforced at config load), so
 * every request is allowed. With tokens, the bearer must hold the route's scope; `admin`
 * implies every scope.
 */
export function authorize(tokens: ApiToken[], authorization: string | undefined, scope: Scope): void {
  if (tokens.length === 0) return;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) throw new ApiError('DW_UNAUTHORIZED');
  const presented = match[1]!;
  const token = tokens.find((candidate) => sameSecret(candidate.token, presented));
  if (!token) throw new ApiError('DW_UNAUTHORIZED', 'unknown API token');
  if (!token.scopes.has(scope) && !token.scopes.has('admin')) throw new ApiError('DW_FORBIDDEN', `this token lacks the "${scope}" scope`);
}
