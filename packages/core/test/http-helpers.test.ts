import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACTED_KEYS } from '../src/config/defaults.js';
import { clientAddress } from '../src/http/client-address.js';
import { HostCache, parseHostHeader } from '../src/http/host.js';
import { QueryRedactor } from '../src/http/redact.js';
import { joinRoutePaths, routePathText } from '../src/http/route.js';

describe('query redaction', () => {
  const redactor = new QueryRedactor([...DEFAULT_REDACTED_KEYS, 'ssn']);

  it.each([
    ['q=shoes&page=2', 'q=shoes&page=2'],
    ['access_token=abc&q=1', 'access_token=REDACTED&q=1'],
    ['Password=hunter2', 'Password=REDACTED'],
    ['client_secret=s3cr3t&x=1&API_KEY=k', 'client_secret=REDACTED&x=1&API_KEY=REDACTED'],
    ['user%5Fpassword=x', 'user%5Fpassword=REDACTED'],
    ['sig=abc&design=blue', 'sig=REDACTED&design=blue'],
    ['X-Amz-Signature=zz&AWSAccessKeyId=AK', 'X-Amz-Signature=REDACTED&AWSAccessKeyId=REDACTED'],
    ['ssn=123-45-6789', 'ssn=REDACTED'],
    ['token&token=&flag', 'token&token=&flag'],
    ['a=1&&b=2&', 'a=1&&b=2&'],
    ['%E0%A4%A=bad-escape', '%E0%A4%A=bad-escape'],
  ])('%s → %s', (query, expected) => {
    expect(redactor.redact(query)).toBe(expected);
  });

  it('keeps the decision cache bounded', () => {
    for (let i = 0; i < 5000; i++) redactor.redact(`k${i}=v&token=t`);
    expect(redactor.redact('token=t')).toBe('token=REDACTED');
    expect((redactor as unknown as { decisions: Map<string, boolean> }).decisions.size).toBeLessThanOrEqual(512);
  });
});

describe('Host header', () => {
  it.each([
    ['example.com', 'http', { address: 'example.com', port: 80 }],
    ['example.com', 'https', { address: 'example.com', port: 443 }],
    ['127.0.0.1:3000', 'http', { address: '127.0.0.1', port: 3000 }],
    ['[::1]:8443', 'https', { address: '::1', port: 8443 }],
    ['[::1]', 'http', { address: '::1', port: 80 }],
    ['host:notaport', 'http', { address: 'host', port: undefined }],
    ['host:99999', 'http', { address: 'host', port: undefined }],
  ])('%s (%s)', (host, scheme, expected) => {
    expect(parseHostHeader(host, scheme)).toEqual(expected);
  });

  it('answers from a bounded cache and tolerates a missing header', () => {
    const cache = new HostCache();
    expect(cache.get(undefined, 'http')).toEqual({ address: undefined, port: undefined });
    const first = cache.get('a.example:81', 'http');
    expect(cache.get('a.example:81', 'http')).toBe(first);
    for (let i = 0; i < 1000; i++) cache.get(`h${i}.example`, 'http');
    expect((cache as unknown as { http: Map<string, unknown> }).http.size).toBeLessThanOrEqual(64);
  });
});

describe('route templates', () => {
  it.each([
    ['', '/users/:id', '/users/:id'],
    ['/api', '/users/:id', '/api/users/:id'],
    ['/api/', '/users/:id', '/api/users/:id'],
    ['/api', '/', '/api'],
    ['/api', '', '/api'],
    ['', '/', '/'],
    ['', '', '/'],
    ['/', '/x', '/x'],
    ['/api', 'users', '/api/users'],
    ['/api', '/users/', '/api/users/'],
  ])('joins %j and %j', (prefix, path, expected) => {
    expect(joinRoutePaths(prefix, path)).toBe(expected);
  });

  it('gives the text of strings, regexps and arrays', () => {
    expect(routePathText('/a/:b')).toBe('/a/:b');
    expect(routePathText(/\/abc|\/xyz/)).toBe('/\\/abc|\\/xyz/');
    expect(routePathText(['/a', ['/b/:id']], (c) => c === '/b/:id')).toBe('/b/:id');
    expect(routePathText(['/a', /\/re/])).toBe('/a|/\\/re/');
    expect(routePathText(42)).toBeUndefined();
  });
});

describe('client address', () => {
  it.each([
    [{}, '10.0.0.1'],
    [{ 'x-forwarded-for': '203.0.113.7' }, '203.0.113.7'],
    [{ 'x-forwarded-for': '203.0.113.7, 10.0.0.2' }, '203.0.113.7'],
    [{ forwarded: 'for=192.0.2.60;proto=http;by=203.0.113.43' }, '192.0.2.60'],
    [{ forwarded: 'For="[2001:db8:cafe::17]:4711", for=10.0.0.3' }, '2001:db8:cafe::17'],
    [{ forwarded: 'proto=https' }, '10.0.0.1'],
    [{ 'x-forwarded-for': 'x'.repeat(100) }, '10.0.0.1'],
  ])('%j', (headers, expected) => {
    expect(clientAddress(headers, '10.0.0.1')).toBe(expected);
  });
});
