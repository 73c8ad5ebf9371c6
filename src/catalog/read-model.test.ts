import { describe, expect, it } from '@jest/globals';
import {
  Collection,
  Entity,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
  type Ref,
} from '@mikro-orm/postgresql';
import { timestampColumn } from '../shared/timestamp';
import { ReadModel } from './read-model';

@Entity()
class Shelf {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  label!: string;

  @OneToMany(() => Book, (book) => book.shelf)
  books = new Collection<Book>(this);
}

@Entity()
class Book {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  title!: string;

  @Property({ type: 'integer', nullable: true })
  pageCount?: number | null;

  @ManyToOne(() => Shelf, { ref: true, nullable: true })
  shelf?: Ref<Shelf> | null;

  @Property({ type: 'text', lazy: true, nullable: true })
  fullText?: string | null;

  @Property(timestampColumn())
  createdAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  archivedAt?: Date | null;

  get long(): boolean {
    return (this.pageCount ?? 0) > 500;
  }
}

/** A property name the generated constructor could not spell as `this.<name>`. */
@Entity()
class Odd {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  'odd-name'!: string;
}

const books = new ReadModel(Book, { omit: ['fullText'], derived: ['long'] });
const created = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

describe('ReadModel', () => {
  it('selects each column under its property name, timestamps as epoch milliseconds', () => {
    expect(books.columns('b')).toBe(
      'b.id, b.title, b.page_count as "pageCount", b.shelf_id as "shelfId", ' +
        `round(date_part('epoch', b.created_at) * 1000) as "createdAt", ` +
        `round(date_part('epoch', b.archived_at) * 1000) as "archivedAt"`,
    );
  });

  it('makes a view of a row: Dates from milliseconds, the entity’s listed getters', () => {
    const view = new books.View({
      id: 1,
      title: 'Dune',
      pageCount: 600,
      shelfId: null,
      createdAt: created,
      archivedAt: null,
    });
    expect({ ...view }).toEqual({
      id: 1,
      title: 'Dune',
      pageCount: 600,
      shelfId: null,
      createdAt: new Date(created),
      archivedAt: null,
    });
    expect(view.long).toBe(true);
  });

  it('reads a joined row, and null without its key', () => {
    const shelves = new ReadModel(Shelf, { omit: ['books'] });
    const shelf = shelves.joined('shelf');
    expect(shelf.columns).toBe('shelf.label as "shelfLabel"');
    expect(shelf.join('b.shelf_id')).toBe('left join shelf as shelf on shelf.id = b.shelf_id');
    expect({ ...shelf.read({ shelfId: 7, shelfLabel: 'Top' })! }).toEqual({ id: 7, label: 'Top' });
    expect(shelf.read({ shelfId: null, shelfLabel: null })).toBeNull();
  });

  it('refuses a lazy column or a collection it was not told to omit', () => {
    expect(() => new ReadModel(Book, { derived: ['long'] })).toThrow('Book.fullText');
    expect(() => new ReadModel(Shelf)).toThrow('Shelf.books');
  });

  it('refuses a derived field that is not a getter of the entity', () => {
    expect(() => new ReadModel(Book, { omit: ['fullText'], derived: ['title'] })).toThrow(
      'Book.title: not a getter',
    );
  });

  it('refuses a property name that is not an identifier', () => {
    expect(() => new ReadModel(Odd)).toThrow('Odd.odd-name: not an identifier');
  });

  it('refuses a join prefix that is not an identifier', () => {
    const shelves = new ReadModel(Shelf, { omit: ['books'] });
    expect(() => shelves.joined('shelf; drop table book')).toThrow('cannot join');
  });
});
