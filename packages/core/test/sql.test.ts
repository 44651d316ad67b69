/**
 * The SQL summary put on database spans: no literal survives sanitizing (strings with escapes, dollar quotes,
 * numbers, hex, booleans, comments), identifiers and placeholders stay, the operation and the table are
 * read for the span name, and hostile input neither throws nor leaks.
 */
import { describe, expect, it } from 'vitest';
import { sanitizeSql, sqlSpanName, summarizeSql } from '../src/libraries/sql.js';

describe('sanitizeSql', () => {
  it.each([
    ["SELECT * FROM users WHERE email = 'a@b.c' AND pw = 'hunter2'", 'SELECT * FROM users WHERE email = ? AND pw = ?'],
    ["SELECT 'it''s' , 'a\\'b'", 'SELECT ? , ?'],
    [
      'SELECT * FROM t WHERE id = 42 AND price > 3.14 AND x < 1e-5',
      'SELECT * FROM t WHERE id = ? AND price > ? AND x < ?',
    ],
    ['SELECT * FROM t WHERE id = $1 AND name = $2', 'SELECT * FROM t WHERE id = $1 AND name = $2'],
    ['SELECT $$secret body$$, $tag$also secret$tag$', 'SELECT ?, ?'],
    ["SELECT E'esc\\n', X'DEADBEEF', 0xFF", 'SELECT ?, ?, ?'],
    ['SELECT * FROM t WHERE active = TRUE OR deleted = false', 'SELECT * FROM t WHERE active = ? OR deleted = ?'],
    ["SELECT 1 -- password 'x'\nFROM t /* token: abc */ WHERE a = 2", 'SELECT ? FROM t WHERE a = ?'],
    ['SELECT "Orders"."id2" FROM "Orders" WHERE col3 = 5', 'SELECT "Orders"."id2" FROM "Orders" WHERE col3 = ?'],
  ])('postgresql: %s', (sql, expected) => {
    expect(sanitizeSql(sql, 'postgresql')).toBe(expected);
  });

  it.each([
    ['SELECT * FROM `orders` WHERE note = "secret" AND id = 7', 'SELECT * FROM `orders` WHERE note = ? AND id = ?'],
    ["INSERT INTO t (a, b) VALUES ('x', 12) # comment with 'secret'", 'INSERT INTO t (a, b) VALUES (?, ?)'],
  ])('mysql: %s', (sql, expected) => {
    expect(sanitizeSql(sql, 'mysql')).toBe(expected);
  });

  it('never lets an unterminated literal through, and cuts very long statements', () => {
    expect(sanitizeSql("SELECT 'never closed secret", 'postgresql')).toBe('SELECT ?');
    expect(sanitizeSql('SELECT /* never closed secret', 'postgresql')).toBe('SELECT');
    const long = sanitizeSql(`SELECT ${'a, '.repeat(5000)}b FROM t`, 'postgresql');
    expect(long.length).toBeLessThanOrEqual(2049);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('summarizeSql and sqlSpanName', () => {
  it.each([
    ['SELECT id FROM orders WHERE id = 1', 'SELECT', 'orders', 'SELECT shop.orders'],
    ['select id from public.orders o join items i on i.o = o.id', 'SELECT', 'public.orders', 'SELECT public.orders'],
    ["INSERT INTO orders (a) VALUES ('x')", 'INSERT', 'orders', 'INSERT shop.orders'],
    ['UPDATE orders SET total = 3 WHERE id = 1', 'UPDATE', 'orders', 'UPDATE shop.orders'],
    ['DELETE FROM "Orders" WHERE id = 1', 'DELETE', 'Orders', 'DELETE shop.Orders'],
    ['CREATE TABLE IF NOT EXISTS orders (id int)', 'CREATE', 'orders', 'CREATE shop.orders'],
    ['WITH recent AS (SELECT * FROM orders) SELECT * FROM recent', 'SELECT', 'recent', 'SELECT shop.recent'],
    ['BEGIN', 'BEGIN', undefined, 'BEGIN shop'],
    ['SELECT 1', 'SELECT', undefined, 'SELECT shop'],
  ])('%s', (sql, operation, collection, name) => {
    const summary = summarizeSql(sql, 'postgresql');
    expect(summary.operation).toBe(operation);
    expect(summary.collection).toBe(collection);
    expect(sqlSpanName(summary, 'shop', 'postgresql')).toBe(name);
  });

  it('names a statement it cannot read by the system, and never throws on hostile input', () => {
    expect(sqlSpanName(summarizeSql('\u0000\u0001 garbage', 'mysql'), 'shop', 'mysql')).toBe('mysql');
    for (const hostile of ['', "'", '"', '`', '$', '$$', '/*', '--', '0x', '1e+', '\uD800', '('.repeat(10_000)]) {
      expect(() => summarizeSql(hostile, 'postgresql')).not.toThrow();
      expect(() => summarizeSql(hostile, 'mysql')).not.toThrow();
    }
  });

  it('returns the same summary object for a repeated statement (scanned once)', () => {
    const sql = 'SELECT id FROM cached_table WHERE id = $1';
    expect(summarizeSql(sql, 'postgresql')).toBe(summarizeSql(sql, 'postgresql'));
  });
});
