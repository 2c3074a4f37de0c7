import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, defaultMarketData, loadPortfolioData } from './index';

const dir = mkdtempSync(join(tmpdir(), 'runner-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (make: () => unknown) => {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return `${(err as DataError).field}: ${(err as Error).message}`;
  }
  throw new Error('loaded');
};

describe('loadPortfolioData', () => {
  it('selects symbols of the default market, in the order asked, and cuts dates per symbol', () => {
    const data = loadPortfolioData({ source: 'market', symbols: ['MSFT', 'SPX'], from: '2009-06-01', to: '2010-12-31' });
    expect(data.symbols).toEqual(['MSFT', 'SPX']);
    expect(data.columns[0].length).toBe(10); // MSFT monthly until 2010-03
    expect(new Date(data.calendar.times[0]).toISOString().slice(0, 10)).toBe('2009-06-01');
    expect(defaultMarketData().symbols).toHaveLength(106);
  });

  it('reads one symbol of a CSV file', () => {
    const csv = join(dir, 'acme.csv');
    writeFileSync(csv, 'date,open,high,low,close\n2024-01-02,10,11,9,10.5\n2024-01-03,10.5,12,10,11\n');
    expect(loadPortfolioData({ source: csv }).symbols).toEqual(['ACME']);
  });

  it('names the input at fault', () => {
    expect(failure(() => loadPortfolioData({ source: 'nasdaq' }))).toBe('data: must be market, sp500 or the path of a .csv file, got "nasdaq"');
    expect(failure(() => loadPortfolioData({ source: 'sp500', symbols: ['AAPL'] }))).toBe('symbols: no bars for AAPL (the data holds 1 symbol)');
    expect(failure(() => loadPortfolioData({ source: 'market', symbols: ['AAPL'], from: '2015-01-01' }))).toBe('from: no bars in the chosen dates');
  });
});
