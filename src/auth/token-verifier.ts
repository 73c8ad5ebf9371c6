import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config';
import { UnauthenticatedError } from '../shared/errors';
import type { Viewer } from './viewer';

export type TokenVerifier = (authorization: string | undefined) => Promise<Viewer | null>;

type AuthConfig = Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>;

/**
 * Bearer tokens, verified with jose: HS256 with JWT_SECRET, or the keys of JWT_JWKS_URL (fetched
 * and cached by jose). The algorithm list is fixed, so `alg: none` and algorithm swaps fail.
 * No header: an anonymous reader. Any header that is not a valid token: UNAUTHENTICATED.
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const key: Uint8Array | JWTVerifyGetKey = config.JWT_JWKS_URL
    ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL))
    : new TextEncoder().encode(config.JWT_SECRET);
  const algorithms = config.JWT_JWKS_URL ? ['RS256', 'ES256', 'PS256', 'EdDSA'] : ['HS256'];

  return async (authorization) => {
    if (authorization === undefined) return null;
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(authorization.trim());
    if (!match) throw new UnauthenticatedError('Authorization must be "Bearer <token>"', true);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, key as Uint8Array, {
        algorithms,
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw new UnauthenticatedError(describe(error), true);
    }
    return toViewer(payload);
  };
}

function toViewer(payload: JWTPayload): Viewer {
  const { sub, name, roles, role } = payload as JWTPayload & {
    name?: unknown;
    roles?: unknown;
    role?: unknown;
  };
  const roleList = Array.isArray(roles) ? roles : typeof role === 'string' ? [role] : [];
  return {
    id: sub!,
    name: typeof name === 'string' && name.trim() ? name.trim() : sub!,
    roles: roleList.filter((r): r is string => typeof r === 'string'),
  };
}

/** Tells the client what is wrong with its token, never why verification works as it does. */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'nbf'
      ? 'The token is not valid yet'
      : `The token's "${error.claim}" claim is not accepted`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'The token signature is not valid';
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted";
  return 'The token is not valid';
}
