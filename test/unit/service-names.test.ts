import { describe, expect, it } from 'vitest';
import { isServiceDomain, parseServiceGrant, serviceHost, serviceOfHost } from '../../src/services/service-ref.js';

describe('allow_services entries', () => {
  it('a bare name is a Consul service; the full host names say which catalog', () => {
    expect(parseServiceGrant('payments')).toEqual({ provider: 'consul', name: 'payments' });
    expect(parseServiceGrant('payments.service.consul')).toEqual({ provider: 'consul', name: 'payments' });
    expect(parseServiceGrant('billing.service.nomad')).toEqual({ provider: 'nomad', name: 'billing' });
    expect(parseServiceGrant(' Inventory-2 ')).toEqual({ provider: 'consul', name: 'inventory-2' });
  });

  it('refuses what no catalog could name, saying what is accepted', () => {
    for (const bad of [
      '',
      '*',
      'pay ments',
      'payments.service',
      'a.b.service.consul',
      '-x',
      'x-',
      'payments.service.example',
      'http://payments',
    ]) {
      const result = parseServiceGrant(bad);
      expect(typeof result, bad).toBe('string');
      expect(result).toContain('"name.service.consul"');
    }
  });
});

describe('request hosts', () => {
  it('maps name.service.consul and name.service.nomad to their service, case-insensitively', () => {
    expect(serviceOfHost('payments.service.consul')).toEqual({ provider: 'consul', name: 'payments' });
    expect(serviceOfHost('Billing.Service.Nomad')).toEqual({ provider: 'nomad', name: 'billing' });
    expect(serviceOfHost('payments')).toBeUndefined();
    expect(serviceOfHost('api.example.com')).toBeUndefined();
    expect(serviceOfHost('v2.payments.service.consul')).toBeUndefined();
  });

  it('knows the service domains, and how a service is addressed', () => {
    expect(isServiceDomain('x.service.consul')).toBe(true);
    expect(isServiceDomain('x.service.nomad')).toBe(true);
    expect(isServiceDomain('service.consul.example.com')).toBe(false);
    expect(serviceHost({ provider: 'nomad', name: 'billing' })).toBe('billing.service.nomad');
  });
});
