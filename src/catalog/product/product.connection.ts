import { ObjectType } from 'type-graphql';
import { ConnectionType } from '../../shared/connection';
import { Review } from '../review/review.entity';
import { Product } from './product.entity';

@ObjectType({ description: 'A page of products (Relay connection).' })
export class ProductConnection extends ConnectionType(Product) {}

@ObjectType({ description: "A page of a product's reviews, newest first (Relay connection)." })
export class ReviewConnection extends ConnectionType(Review) {}
