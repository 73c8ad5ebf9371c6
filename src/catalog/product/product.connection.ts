import { ObjectType } from 'type-graphql';
import { ConnectionType } from '../../shared/connection';
import { Product } from './product.entity';
import type { ProductView } from './product.view';

@ObjectType({ description: 'A page of products (Relay connection).', simpleResolvers: true })
export class ProductConnection extends ConnectionType<ProductView>(Product) {}
