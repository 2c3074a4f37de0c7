import { unavailable } from './test-servers';

describe('unavailable: a missing server skips a suite, except under CI', () => {
  const ci = process.env['CI'];
  afterEach(() => {
    if (ci === undefined) delete process.env['CI'];
    else process.env['CI'] = ci;
  });

  it('returns the reason to skip with outside CI', () => {
    delete process.env['CI'];
    expect(unavailable('no redis-server')).toBe('no redis-server');
  });

  it('throws under CI=true, so CI cannot pass by skipping', () => {
    process.env['CI'] = 'true';
    expect(() => unavailable('no redis-server')).toThrow('no redis-server: required under CI=true');
  });

  it('is silent when nothing is missing', () => {
    process.env['CI'] = 'true';
    expect(unavailable(undefined)).toBeUndefined();
  });
});
