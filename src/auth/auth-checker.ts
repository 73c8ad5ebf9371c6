import type { AuthCheckerFn } from 'type-graphql';
import type { Context } from '../graphql/context';
import { ForbiddenError, UnauthenticatedError } from '../shared/errors';

/**
 * `@Authorized()`: a signed-in viewer. `@Authorized('admin')`: one with that role. Anonymous
 * callers are UNAUTHENTICATED (sign in), signed-in ones without the role FORBIDDEN (no use
 * signing in again) — type-graphql's default cannot tell the two apart.
 */
export const authChecker: AuthCheckerFn<Context> = ({ context }, roles) => {
  const { viewer } = context;
  if (!viewer) throw new UnauthenticatedError();
  if (roles.length > 0 && !roles.some((role) => viewer.roles.includes(role))) {
    throw new ForbiddenError(`This needs the ${roles.join(' or ')} role`);
  }
  return true;
};
