/**
 * The embedded realtime store: the same SQLite file and lock as the embedded serving store.
 * Window rows go to the metrics' rt_* tables (minute, key columns, values, final; a null key is
 * ''); checkpoints to `stream_checkpoints` (group_name primary key, checkpoint JSON). commit()
 * writes both in one transaction: atomic, and idempotent on replay because rows are absolute
 * values upserted by (minute, key).
 */
import type { Config } from '../../core/config.js';
import { SharedAttempt } from '../../core/serial.js';
import type { Row, TableSpec } from '../../core/tables.js';
import { SqliteFile } from '../sqlite/file.js';
import { deleteRows, ensureTable, selectRows, upsertRows } from '../sqlite/sql.js';
import { normalizeRow } from '../store/values.js';
import { Shapes, checkCheckpoint, checkGroup, checkWindowRow, fromTableRow, rangeBound, toTableRow } from './rows.js';
import type { Checkpoint, RealtimeShape, RealtimeStore, WindowRow } from './types.js';

export const CHECKPOINTS: TableSpec = {
  name: 'stream_checkpoints',
  columns: [
    ['group_name', 'text'],
    ['checkpoint', 'text'],
    ['updated_at', 'timestamp'],
  ],
  key: ['group_name'],
};

export class EmbeddedRealtime implements RealtimeStore {
  readonly kind = 'embedded' as const;
  readonly file: SqliteFile;
  private readonly shapes = new Shapes();
  private readonly connecting = new SharedAttempt();
  private connected: RealtimeShape[] | null = null;

  constructor(cfg: Config) {
    this.file = new SqliteFile(cfg.dataDir, 'REALTIME_UNAVAILABLE');
  }

  async connect(metrics: RealtimeShape[] = this.connected ?? []): Promise<void> {
    if (this.connected !== metrics) this.connecting.reset();
    this.shapes.set(metrics);
    return this.connecting.run(async () => {
      await this.file.run('create tables', 'write', (db) => {
        for (const t of [...metrics.map((m) => m.spec), CHECKPOINTS]) ensureTable(db, t);
      });
      this.connected = metrics;
    });
  }

  async commit(group: string, checkpoint: Checkpoint, rows: WindowRow[]): Promise<void> {
    checkGroup(group);
    const cp = normalizeRow(CHECKPOINTS, { group_name: group, checkpoint: JSON.stringify(checkCheckpoint(checkpoint)), updated_at: Date.now() }, true);
    const byTable = new Map<TableSpec, Row[]>();
    for (const r of rows) {
      const shape = this.shapes.get(r.metric);
      const row = checkWindowRow(shape, r);
      const list = byTable.get(shape.spec) ?? [];
      list.push(normalizeRow(shape.spec, toTableRow(shape, row), true));
      byTable.set(shape.spec, list);
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

  async read(metric: string, range: { from?: string; to?: string } = {}): Promise<WindowRow[]> {
    const shape = this.shapes.get(metric);
    const from = range.from === undefined ? undefined : rangeBound(range.from).iso;
    const to = range.to === undefined ? undefined : rangeBound(range.to).iso;
    await this.connect();
    const rows = await this.file.run(`read ${metric}`, 'read', (db) => selectRows(db, shape.spec, { where: [], range: { column: 'minute', from, to } }));
    return rows.map((r) => fromTableRow(shape, r));
  }

  async reset(metric: string): Promise<void> {
    const shape = this.shapes.get(metric);
    await this.connect();
    await this.file.run(`reset ${metric}`, 'write', (db) => deleteRows(db, shape.spec, { where: [] }));
  }

  health(): Promise<void> {
    return this.file.health();
  }

  async close(): Promise<void> {
    // nothing stays open between operations
  }
}
