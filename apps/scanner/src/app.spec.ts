import { parseConfig } from '@tradeyard/service-kit';
import { RSI } from 'technicalindicators';
import { loadSp500 } from '@tradeyard/market-data';
import { createScanner } from './app';
import { scannerConfigSchema } from './config';

describe('scanner RSI endpoint', () => {
  const scanner = createScanner(parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent' }));
  afterAll(() => scanner.stop());

  it('returns the latest RSI(14) values of the S&P 500, matching an independent library', async () => {
    const res = await scanner.app.inject({ method: 'GET', url: '/api/v1/indicators/SPX/rsi?limit=5' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.values.map((v: { date: string }) => v.date).at(-1)).toBe('2020-04-17');
    const reference = RSI.calculate({ period: 14, values: loadSp500().map((b) => b.close) }).slice(-5);
    expect(body.values.map((v: { value: number }) => Math.round(v.value * 100) / 100)).toEqual(reference);
  });

  it('rejects a bad period naming the field', async () => {
    const res = await scanner.app.inject({ method: 'GET', url: '/api/v1/indicators/SPX/rsi?period=abc' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^period /);
  });
});
