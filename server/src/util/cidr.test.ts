import { describe, expect, it } from 'vitest';
import { canonicalCidr, subnet } from './cidr.js';

describe('cidr', () => {
  it('knows a subnet: canonical form, host bits, membership, network and broadcast addresses', () => {
    const s = subnet('192.168.15.7/24');
    expect(s).toMatchObject({ canonical: '192.168.15.0/24', prefix: 24, hostBitsSet: true });
    expect(subnet('192.168.15.0/24').hostBitsSet).toBe(false);
    expect(s.contains('192.168.15.254')).toBe(true);
    expect(s.contains('192.168.16.1')).toBe(false);
    expect(s.contains('not an address')).toBe(false);
    expect(s.isNetworkAddress('192.168.15.0')).toBe(true);
    expect(s.isBroadcastAddress('192.168.15.255')).toBe(true);
    expect(s.isBroadcastAddress('192.168.15.254')).toBe(false);
  });

  it('finds overlaps either way round, and none between neighbours', () => {
    expect(subnet('10.0.0.0/16').overlaps(subnet('10.0.3.0/24'))).toBe(true);
    expect(subnet('10.0.3.0/24').overlaps(subnet('10.0.0.0/16'))).toBe(true);
    expect(subnet('10.0.0.0/24').overlaps(subnet('10.0.1.0/24'))).toBe(false);
  });

  it('canonicalizes route prefixes and leaves what is not one alone', () => {
    expect(canonicalCidr('10.0.2.7/24')).toBe('10.0.2.0/24');
    expect(canonicalCidr('10.9.9.9')).toBe('10.9.9.9/32');
    expect(canonicalCidr('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(canonicalCidr('10.0.0.0/33')).toBeUndefined();
    expect(canonicalCidr('fe80::/64')).toBeUndefined();
    expect(canonicalCidr('10.1/8')).toBeUndefined();
  });
});
