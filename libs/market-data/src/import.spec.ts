import { importBars } from './import';
import { parseBarTime } from './time';

describe('one reading of bar times', () => {
  it('reads epoch seconds and milliseconds, ISO dates, and zone-less date-times as UTC', () => {
    expect(parseBarTime('1704240000')).toBe(Date.UTC(2024, 0, 3));
    expect(parseBarTime(1704240000)).toBe(Date.UTC(2024, 0, 3));
    expect(parseBarTime('1704240000000')).toBe(Date.UTC(2024, 0, 3));
    expect(parseBarTime('2024-01-03')).toBe(Date.UTC(2024, 0, 3));
    expect(parseBarTime('2024-01-03 14:30')).toBe(Date.UTC(2024, 0, 3, 14, 30));
    expect(parseBarTime('2024-01-03T14:30:00+01:00')).toBe(Date.UTC(2024, 0, 3, 13, 30));
    for (const unreadable of ['yesterday', 'Jan 3 2024', '', '03/01/2024']) expect(parseBarTime(unreadable)).toBeNaN();
  });
});

describe('one CSV bar parser', () => {
  it('reads a date column, a symbol given by the caller, no volume and extra columns', () => {
    const text = 'Date,Open,High,Low,Close,Adj Close\n2024-01-02,10,11,9,10.5,10.4\n1704240000,10.5,12,10,11,10.9\n';
    expect(importBars(text, 'acme.csv', 'csv', { symbol: 'ACME' })).toEqual([
      { symbol: 'ACME', time: Date.UTC(2024, 0, 2), open: 10, high: 11, low: 9, close: 10.5, volume: 0 },
      { symbol: 'ACME', time: Date.UTC(2024, 0, 3), open: 10.5, high: 12, low: 10, close: 11, volume: 0 },
    ]);
  });

  it('names the time column as the header calls it, and every alias when there is none', () => {
    expect(() => importBars('timestamp,open,high,low,close\nsoon,1,1,1,1\n', 'a.csv', 'csv', { symbol: 'A' })).toThrow('a.csv:2: timestamp cannot read "soon" as a date or time');
    expect(() => importBars('when,open,high,low,close\n', 'a.csv', 'csv', { symbol: 'A' })).toThrow('a.csv:1: time/date/timestamp/datetime column is missing from the header');
    expect(() => importBars('time,open,high,low,close\n', 'a.csv')).toThrow('a.csv:1: symbol column is missing from the header');
  });
});
