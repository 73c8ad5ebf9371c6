import type { MikroORM } from '@mikro-orm/postgresql';
import { Category } from '../catalog/category/category.entity';
import { Product } from '../catalog/product/product.entity';
import { Review } from '../catalog/review/review.entity';
import { demoCatalog } from './seed-data';

/**
 * Loads the demo catalog into an empty database, in one transaction: a failure leaves the
 * database empty, and the next start tries again. Returns false when products already exist.
 */
export async function seedDemoCatalog(orm: MikroORM): Promise<boolean> {
  return orm.em.fork().transactional(async (em) => {
    if ((await em.count(Product)) > 0) return false;
    const catalog = demoCatalog();
    const createdAt = new Date(Date.UTC(2026, 0, 1));
    const categories = catalog.categories.map((c) => em.create(Category, { ...c, createdAt }));
    const products = catalog.products.map(({ categoryIndex, ...p }) =>
      em.create(Product, { ...p, category: categories[categoryIndex], updatedAt: p.createdAt }),
    );
    for (const { productIndex, ...r } of catalog.reviews) {
      em.create(Review, { ...r, authorId: r.author, product: products[productIndex]! });
    }
    // One flush: batched multi-row INSERTs; the review rollup trigger fills in the counts.
    await em.flush();
    return true;
  });
}
