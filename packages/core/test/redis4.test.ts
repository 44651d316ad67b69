/**
 * node-redis 4's span text and attributes, made from the raw arguments: keys of read commands stay, every
 * written value is `?`, a command not known shows no argument (AUTH's password included), long texts are
 * cut; the client's options give the database index and the server, with node-redis's defaults.
 */
import { describe, expect, it } from 'vitest';
import { redactRedisError } from '../src/libraries/redis.js';
import { describeRedis4Command, redisClientAttributes, redisCommandText } from '../src/libraries/redis4.js';

describe('redisCommandText', () => {
  it.each([
    ['GET', ['cart:bob'], 'GET cart:bob'],
    ['get', ['cart:bob'], 'GET cart:bob'],
    ['MGET', ['a', 'b'], 'MGET a b'],
    ['SET', ['cart:bob', 'hunter2', 'EX', '60'], 'SET cart:bob ? ? ?'],
    ['HSET', ['user:1', 'email', 'a@b.c'], 'HSET user:1 ? ?'],
    ['HGET', ['user:1', 'email'], 'HGET user:1 email'],
    ['LPUSH', ['queue', 'secret-job'], 'LPUSH queue ?'],
    ['PUBLISH', ['orders', '{"card":"hunter2"}'], 'PUBLISH orders ?'],
    ['AUTH', ['default', 'hunter2'], 'AUTH ? ?'],
    ['HELLO', ['3', 'AUTH', 'default', 'hunter2'], 'HELLO ? ? ? ?'],
    ['EVAL', ["return 'hunter2'", '0'], 'EVAL ? ?'],
    ['NOSUCHCOMMAND', ['x'], 'NOSUCHCOMMAND ?'],
    ['PING', [], 'PING'],
  ])('%s %j → %s', (command, args, text) => {
    expect(redisCommandText(command, args)).toBe(text);
  });

  it('shows a Buffer key as text and cuts a long command', () => {
    expect(redisCommandText('GET', [Buffer.from('cart:bob')])).toBe('GET cart:bob');
    const text = redisCommandText(
      'DEL',
      Array.from({ length: 500 }, (_, i) => `key:${i}`),
    );
    expect(text.length).toBeLessThanOrEqual(1025);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('redisClientAttributes', () => {
  it('reads the database index and the server from the options, with node-redis defaults', () => {
    expect(redisClientAttributes({ socket: { host: '10.0.0.5', port: 6380 }, database: 3 })).toEqual({
      'db.system.name': 'redis',
      'db.namespace': '3',
      'server.address': '10.0.0.5',
      'server.port': 6380,
    });
    expect(redisClientAttributes(undefined)).toEqual({
      'db.system.name': 'redis',
      'db.namespace': '0',
      'server.address': 'localhost',
      'server.port': 6379,
    });
    expect(redisClientAttributes({ socket: { path: '/run/redis.sock' } })).toEqual({
      'db.system.name': 'redis',
      'db.namespace': '0',
      'server.address': '/run/redis.sock',
    });
  });

  it('names a command span by its command, with the batch size of a pipeline', () => {
    expect(describeRedis4Command({ options: {} }, ['incr', 'visits'], 3)).toEqual({
      name: 'INCR',
      attributes: {
        'db.system.name': 'redis',
        'db.namespace': '0',
        'server.address': 'localhost',
        'server.port': 6379,
        'db.operation.name': 'INCR',
        'db.query.text': 'INCR visits',
        'db.operation.batch.size': 3,
      },
    });
  });
});

describe('redactRedisError', () => {
  it('drops the arguments Redis echoes for an unknown command, keeps other messages', () => {
    expect(redactRedisError("ERR unknown command 'JSON.GET', with args beginning with: 'doc:hunter2' ")).toBe(
      "ERR unknown command 'JSON.GET', with args beginning with: ?",
    );
    expect(redactRedisError('ERR value is not an integer or out of range')).toBe(
      'ERR value is not an integer or out of range',
    );
  });
});
