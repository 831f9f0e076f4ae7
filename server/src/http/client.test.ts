// Client identity under spoofing (issue 13 row 7): X-Forwarded-For entries a client writes itself
// are never believed, and one IPv6 host cannot pose as many by varying its interface id.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { clientKey, fastifyTrustProxy, parseTrustProxy } from './client.js';
import { allowedHosts, hostOf } from './hosts.js';

async function seenAs(trust: ReturnType<typeof parseTrustProxy>, remoteAddress: string, xff: string): Promise<string> {
  const app = Fastify({ trustProxy: fastifyTrustProxy(trust) });
  app.get('/', async (req) => clientKey(req.ip));
  const r = await app.inject({ method: 'GET', url: '/', remoteAddress, headers: { 'x-forwarded-for': xff } });
  await app.close();
  return r.body;
}

describe('--trust-proxy', () => {
  it('takes a hop count: the client is the address the last trusted proxy saw, not the left-most', async () => {
    expect(parseTrustProxy('1')).toBe(1);
    // the attacker wrote "6.6.6.6"; the one proxy appended the real peer 10.0.0.5
    expect(await seenAs(1, '127.0.0.1', '6.6.6.6, 10.0.0.5')).toBe('10.0.0.5');
    expect(await seenAs(2, '127.0.0.1', '6.6.6.6, 10.0.0.5, 10.1.1.1')).toBe('10.0.0.5');
  });

  it('takes a list of proxy addresses: an address not in it ends the walk', async () => {
    expect(parseTrustProxy('127.0.0.1, 10.1.0.0/16')).toEqual(['127.0.0.1', '10.1.0.0/16']);
    expect(await seenAs(['127.0.0.1'], '127.0.0.1', '6.6.6.6, 10.0.0.5')).toBe('10.0.0.5');
    expect(await seenAs(['127.0.0.1', '10.1.0.0/16'], '127.0.0.1', '6.6.6.6, 10.0.0.5, 10.1.2.3')).toBe('10.0.0.5');
    // a direct client that is not a proxy cannot inject anything
    expect(await seenAs(['10.9.9.9'], '192.0.2.7', '6.6.6.6')).toBe('192.0.2.7');
  });

  it('rejects what is neither', () => {
    for (const bad of ['0', 'yes', '10.0.0.1/40', '1.2.3', '', '10.0.0.0/8/1']) expect(() => parseTrustProxy(bad)).toThrow(/--trust-proxy/);
  });
});

describe('clientKey', () => {
  it('groups IPv6 clients by /64 and unwraps IPv4-mapped addresses', () => {
    expect(clientKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:db8:0:1:ffff:ffff:ffff:fffe')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:db8:0:2::1')).not.toBe(clientKey('2001:db8:0:1::1'));
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('Host allowlist', () => {
  it('parses Host headers and knows the default names', () => {
    expect(hostOf('localhost:8080')).toBe('localhost');
    expect(hostOf('[::1]:8080')).toBe('::1');
    expect(hostOf('Evil.Example.')).toBe('evil.example');
    expect(hostOf('a@b')).toBeUndefined();
    expect(hostOf('[zz]')).toBeUndefined();
    expect(hostOf(undefined)).toBeUndefined();
    const hosts = allowedHosts({ listen: '127.0.0.1', publicUrls: ['https://Labs.Example.org/'] });
    expect([...hosts].sort()).toEqual(['127.0.0.1', '::1', 'labs.example.org', 'localhost']);
    expect(allowedHosts({ listen: '0.0.0.0' }).has('127.0.0.1')).toBe(true);
  });
});
