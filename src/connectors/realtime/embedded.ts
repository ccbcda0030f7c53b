/**
 * The embedded realtime store: the same SQLite file and lock as the embedded serving store.
 * Window rows go to the REALTIME tables of tables.ts (rt_r1_... : minute, key column, values,
 * final; a null key is ''); checkpoints to `stream_checkpoints` (group_name primary key,
 * checkpoint JSON). commit() writes both in one transaction: atomic, and idempotent on replay
 * because rows are absolute values upserted by (minute, key).
 */
import type { Config } from '../../core/config.js';
import { REALTIME, type RealtimeId, type Row, type TableSpec } from '../../core/tables.js';
import { SqliteFile } from '../store/sqlite.js';
import { ensureTable, selectRows, upsertRows } from '../store/sqlite-sql.js';
import { normalizeRow } from '../store/values.js';
import { checkCheckpoint, checkGroup, checkWindowRow, fromTableRow, metricShape, rangeBound, toTableRow } from './rows.js';
import type { Checkpoint, RealtimeStore, WindowRow } from './types.js';

export const CHECKPOINTS: TableSpec = {
  name: 'stream_checkpoints',
  columns: [['group_name', 'text'], ['checkpoint', 'text'], ['updated_at', 'timestamp']],
  key: ['group_name'],
};

export class EmbeddedRealtime implements RealtimeStore {
  readonly kind = 'embedded' as const;
  readonly file: SqliteFile;
  private connecting?: Promise<void>;

  constructor(cfg: Config) {
    this.file = new SqliteFile(cfg.dataDir, 'REALTIME_UNAVAILABLE');
  }

  async connect(): Promise<void> {
    this.connecting ??= this.file
      .run('create tables', 'write', (db) => {
        for (const t of [...Object.values(REALTIME), CHECKPOINTS]) ensureTable(db, t);
      })
      .catch((e) => {
        this.connecting = undefined;
        throw e;
      });
    return this.connecting;
  }

  async commit(group: string, checkpoint: Checkpoint, rows: WindowRow[]): Promise<void> {
    checkGroup(group);
    const cp = normalizeRow(CHECKPOINTS, { group_name: group, checkpoint: JSON.stringify(checkCheckpoint(checkpoint)), updated_at: Date.now() }, true);
    const byTable = new Map<TableSpec, Row[]>();
    for (const r of rows) {
      const row = checkWindowRow(r);
      const table = metricShape(row.metric).table;
      const list = byTable.get(table) ?? [];
      list.push(normalizeRow(table, toTableRow(row), true));
      byTable.set(table, list);
    }
    await this.connect();
    await this.file.run('commit', 'write', (db) => {
      for (const [table, list] of byTable) upsertRows(db, table, list);
      upsertRows(db, CHECKPOINTS, [cp]);
    });
  }

  async loadCheckpoint(group: string): Promise<Checkpoint | null> {
    checkGroup(group);
    await this.connect();
    const rows = await this.file.run('load checkpoint', 'read', (db) => selectRows(db, CHECKPOINTS, { where: [['group_name', group]] }));
    return rows.length ? (JSON.parse(String(rows[0]!.checkpoint)) as Checkpoint) : null;
  }

  async read(metric: RealtimeId, range: { from?: string; to?: string } = {}): Promise<WindowRow[]> {
    const table = metricShape(metric).table;
    const from = range.from === undefined ? undefined : rangeBound(range.from).iso;
    const to = range.to === undefined ? undefined : rangeBound(range.to).iso;
    await this.connect();
    const rows = await this.file.run(`read ${metric}`, 'read', (db) => selectRows(db, table, { where: [], range: { column: 'minute', from, to } }));
    return rows.map((r) => fromTableRow(metric, r));
  }

  async close(): Promise<void> {
    // nothing stays open between operations
  }
}
