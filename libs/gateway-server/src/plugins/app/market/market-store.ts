import type { Database, Migration } from '@tradeyard/persistence';

/** Simulated markets (the default market is the configuration's, not a row). */
export const marketMigrations: Migration[] = [
  {
    id: '014_markets',
    sql: `
CREATE TABLE markets (
  id text PRIMARY KEY,
  name text NOT NULL,
  symbols jsonb NOT NULL,
  from_date text NOT NULL,
  to_date text NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'archived')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);
`,
  },
];

export interface MarketRow {
  id: string;
  name: string;
  symbols: string[];
  from: string;
  to: string;
  status: 'open' | 'archived';
  createdBy: string;
  createdAt: string;
  archivedAt: string | null;
}

const columns = `id, name, symbols, from_date, to_date, status, created_by, created_at, archived_at`;

const rowOf = (r: Record<string, unknown>): MarketRow => ({
  id: String(r.id),
  name: String(r.name),
  symbols: (typeof r.symbols === 'string' ? JSON.parse(r.symbols) : r.symbols) as string[],
  from: String(r.from_date),
  to: String(r.to_date),
  status: r.status as MarketRow['status'],
  createdBy: String(r.created_by),
  createdAt: new Date(r.created_at as string).toISOString(),
  archivedAt: r.archived_at === null ? null : new Date(r.archived_at as string).toISOString(),
});

/** The markets table: every replica reads it to serve the markets another created. */
export class MarketStore {
  constructor(private readonly db: Database) {}

  /** Stores a new market; false when the id is taken. */
  async insert(market: Omit<MarketRow, 'status' | 'createdAt' | 'archivedAt'>): Promise<boolean> {
    const rows = await this.db.query(
      'INSERT INTO markets (id, name, symbols, from_date, to_date, created_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id',
      [market.id, market.name, JSON.stringify(market.symbols), market.from, market.to, market.createdBy],
    );
    return rows.length > 0;
  }

  async list(): Promise<MarketRow[]> {
    return (await this.db.query(`SELECT ${columns} FROM markets ORDER BY created_at, id`)).map(rowOf);
  }

  /** Archives an open market; the row as it is after (undefined: no such market). */
  async archive(id: string): Promise<MarketRow | undefined> {
    await this.db.query("UPDATE markets SET status = 'archived', archived_at = now() WHERE id = $1 AND status = 'open'", [id]);
    const [row] = await this.db.query(`SELECT ${columns} FROM markets WHERE id = $1`, [id]);
    return row && rowOf(row);
  }
}
