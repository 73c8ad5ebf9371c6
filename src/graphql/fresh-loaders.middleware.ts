import type { MiddlewareFn } from 'type-graphql';
import type { Context } from './context';
import { Loaders } from './loaders';

/**
 * After a mutation, the request's loaders may hold what it just changed (a product's reviews,
 * a category's count). Its result, and any later mutation of the same request, read afresh.
 */
export const FreshLoadersAfterWrite: MiddlewareFn<Context> = async ({ context }, next) => {
  try {
    return (await next()) as unknown;
  } finally {
    context.loaders = new Loaders(context.em);
  }
};
