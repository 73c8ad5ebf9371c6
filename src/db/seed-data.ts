/**
 * The demo catalog: the same every time (a seeded PRNG), so a newcomer, a screenshot and a bug
 * report all see the same products. 12 categories × 25 products, ~10 reviews each.
 */

const CATEGORIES = [
  ['audio', 'Audio', ['Headphones', 'Speaker', 'Earbuds', 'Soundbar', 'Turntable']],
  ['cameras', 'Cameras', ['Mirrorless Camera', 'Action Camera', 'Lens', 'Tripod', 'Camera Bag']],
  ['computers', 'Computers', ['Laptop', 'Desktop', 'Monitor', 'Keyboard', 'Mouse']],
  ['phones', 'Phones', ['Smartphone', 'Phone Case', 'Charger', 'Power Bank', 'Screen Protector']],
  ['gaming', 'Gaming', ['Controller', 'Gaming Headset', 'Console', 'Racing Wheel', 'Gaming Chair']],
  ['home', 'Home', ['Lamp', 'Rug', 'Cushion', 'Vase', 'Wall Clock']],
  ['kitchen', 'Kitchen', ['Chef Knife', 'Frying Pan', 'Kettle', 'Blender', 'Coffee Grinder']],
  ['outdoor', 'Outdoor', ['Tent', 'Sleeping Bag', 'Backpack', 'Headlamp', 'Water Filter']],
  ['fitness', 'Fitness', ['Yoga Mat', 'Dumbbell Set', 'Jump Rope', 'Foam Roller', 'Kettlebell']],
  ['books', 'Books', ['Cookbook', 'Novel', 'Field Guide', 'Atlas', 'Sketchbook']],
  ['toys', 'Toys', ['Puzzle', 'Building Set', 'Plush Bear', 'Kite', 'Board Game']],
  ['garden', 'Garden', ['Pruning Shears', 'Watering Can', 'Planter', 'Hose Reel', 'Seed Kit']],
] as const;

const ADJECTIVES = ['Compact', 'Classic', 'Pro', 'Travel', 'Deluxe'];
const AUTHORS = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
];
const TITLES = ['Does the job', 'Love it', 'Not for me', 'Great value', 'Solid', 'Disappointing'];

export interface SeedCategory {
  slug: string;
  name: string;
}

export interface SeedProduct {
  sku: string;
  name: string;
  description: string;
  price: string;
  stock: number;
  categoryIndex: number;
  createdAt: Date;
}

export interface SeedReview {
  productIndex: number;
  rating: number;
  title: string;
  body: string;
  author: string;
  createdAt: Date;
}

/** mulberry32: a tiny, well-known seeded PRNG; Math.random cannot be seeded. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function demoCatalog() {
  const random = prng(20261125);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const start = Date.UTC(2026, 0, 1);
  const hour = 3_600_000;

  const categories: SeedCategory[] = CATEGORIES.map(([slug, name]) => ({ slug, name }));
  const products: SeedProduct[] = [];
  const reviews: SeedReview[] = [];

  CATEGORIES.forEach(([slug, , nouns], categoryIndex) => {
    nouns.forEach((noun, n) => {
      ADJECTIVES.forEach((adjective, a) => {
        const cents = int(500, 200_000);
        products.push({
          sku: `${slug.slice(0, 3).toUpperCase()}-${String(n * ADJECTIVES.length + a + 1).padStart(4, '0')}`,
          name: `${adjective} ${noun}`,
          description: `A ${adjective.toLowerCase()} ${noun.toLowerCase()} from our ${slug} range.`,
          price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
          stock: random() < 0.1 ? 0 : int(1, 200),
          categoryIndex,
          createdAt: new Date(start + products.length * 7 * hour),
        });
      });
    });
  });

  products.forEach((product, productIndex) => {
    const count = int(0, 20);
    const bias = int(2, 5); // some products are loved, some are not
    for (let i = 0; i < count; i++) {
      reviews.push({
        productIndex,
        rating: Math.min(5, Math.max(1, bias + int(-1, 1))),
        title: pick(TITLES),
        body: `Review ${i + 1} of the ${product.name}.`,
        author: pick(AUTHORS), // also the account id: `npm run token -- --sub alice` owns alice's
        createdAt: new Date(product.createdAt.getTime() + (i + 1) * 5 * hour),
      });
    }
  });

  return { categories, products, reviews };
}
