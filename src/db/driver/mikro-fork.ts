import type { MikroORM } from '@mikro-orm/postgresql';

/*
 * MikroORM's EntityManager#fork, as read from @mikro-orm/core 6.6.16: it sets the configuration's
 * `allowGlobalContext` to true and back around making the fork, through Configuration#set, which
 * then re-runs Configuration#sync (it writes process.env.MIKRO_ORM_COLORS, among others) though
 * nothing sync derives depends on that key: twice per request, half of what a fork costs after.
 * Contract: driver-contract.int.test.ts; how to lift the pin: docs/dependencies.md#mikroorm.
 */

type Configuration = MikroORM['config'];

const quieted = new WeakSet<Configuration>();

/**
 * From now on, setting `allowGlobalContext` on this engine's configuration stores the value
 * without re-running Configuration#sync; every other key is set as before.
 */
export function forkWithoutConfigSync(orm: MikroORM): void {
  const config = orm.config;
  if (quieted.has(config)) return;
  quieted.add(config);
  const set = config.set.bind(config);
  const options = config.getAll();
  config.set = (key, value) => {
    if (key === 'allowGlobalContext') options.allowGlobalContext = value as boolean;
    else set(key, value);
  };
}
