import { ReadModel } from '../read-model';
import { Category } from './category.entity';

/** What the read path selects of a category: no field shows when it was created. */
export const categoryReadModel = new ReadModel(Category, { omit: ['createdAt'] });

/** A category as resolvers serve it (see ReadModel). */
export const CategoryView = categoryReadModel.View;
export type CategoryView = InstanceType<typeof CategoryView>;
export type CategoryRow = ConstructorParameters<typeof CategoryView>[0];

export const categoryColumns = (alias: string): string => categoryReadModel.columns(alias);
