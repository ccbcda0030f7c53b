/**
 * The serving store's tables, defined once: both store implementations create them from these
 * specs, and the metric code writes rows with exactly these columns.
 */
export type ColumnType = 'int' | 'bigint' | 'double' | 'text' | 'timestamp' | 'bool';

export interface TableSpec {
  name: string;
  columns: [name: string, type: ColumnType][];
  /** key for upserts (R tables, ledger); tables without a key are replaced whole */
  key?: string[];
}

const q = (name: string, columns: TableSpec['columns']): TableSpec => ({ name, columns });
const r = (name: string, keyCol: [string, ColumnType] | null, values: TableSpec['columns']): TableSpec => ({
  name,
  columns: [['minute', 'timestamp'], ...(keyCol ? [keyCol] : []), ...values, ['final', 'bool']],
  key: keyCol ? ['minute', keyCol[0]] : ['minute'],
});

/** Historical metrics Q1–Q8 (data contract §4), column names exactly as the contract gives them. */
export const HISTORICAL = {
  Q1: q('q1_category_by_country', [['country', 'text'], ['category', 'text'], ['category_count', 'bigint']]),
  Q2: q('q2_category_by_year', [['post_year', 'int'], ['category', 'text'], ['category_count', 'bigint']]),
  Q3a: q('q3a_top_poster_by_country', [['country', 'text'], ['poster_name', 'text'], ['follower_count', 'bigint']]),
  Q3b: q('q3b_top_country_by_poster', [['country', 'text'], ['follower_count', 'bigint']]),
  Q4: q('q4_category_by_age_group', [['age_group', 'text'], ['category', 'text'], ['category_count', 'bigint']]),
  Q5: q('q5_median_followers_by_age_group', [['age_group', 'text'], ['median_follower_count', 'bigint']]),
  Q6: q('q6_users_joined_by_year', [['join_year', 'int'], ['number_users_joined', 'bigint']]),
  Q7: q('q7_median_followers_by_join_year', [['join_year', 'int'], ['median_follower_count', 'bigint']]),
  Q8: q('q8_median_followers_by_join_year_age_group', [['age_group', 'text'], ['join_year', 'int'], ['median_follower_count', 'bigint']]),
} as const;

/** Real-time metrics R1–R5 (data contract §5). A null key is stored as ''. */
function realtimeTables(prefix: string) {
  return {
    R1: r(`${prefix}r1_postings_by_category`, ['category', 'text'], [['postings', 'bigint']]),
    R2: r(`${prefix}r2_postings_by_country`, ['country', 'text'], [['postings', 'bigint']]),
    R3: r(`${prefix}r3_postings_by_age_group`, ['age_group', 'text'], [['postings', 'bigint']]),
    R4: r(`${prefix}r4_distinct_posters`, null, [['distinct_posters', 'bigint']]),
    R5: r(`${prefix}r5_media_mix`, null, [['images', 'bigint'], ['videos', 'bigint'], ['stories', 'bigint'], ['mean_follower_count', 'double']]),
  } as const;
}

/** Written by consume-stream (the live views). */
export const REALTIME = realtimeTables('rt_');
/** Written by batch-run (R1–R5 recomputed from the raw zone, for verification). */
export const REALTIME_BATCH = realtimeTables('batch_');

export const LEDGER: TableSpec = {
  name: 'batch_runs',
  columns: [['day', 'text'], ['status', 'text'], ['started_at', 'timestamp'], ['finished_at', 'timestamp'], ['raw_records', 'bigint'], ['curated_rows', 'bigint'], ['message', 'text']],
  key: ['day'],
};

export const QUALITY: TableSpec = {
  name: 'quality_issues',
  columns: [['day', 'text'], ['field', 'text'], ['issues', 'bigint']],
  key: ['day', 'field'],
};

export type HistoricalId = keyof typeof HISTORICAL;
export type RealtimeId = keyof typeof REALTIME;
export type MetricId = HistoricalId | RealtimeId;
export const METRIC_IDS = [...Object.keys(HISTORICAL), ...Object.keys(REALTIME)] as MetricId[];

export const ALL_TABLES: TableSpec[] = [
  ...Object.values(HISTORICAL),
  ...Object.values(REALTIME),
  ...Object.values(REALTIME_BATCH),
  LEDGER,
  QUALITY,
];

export type Row = Record<string, string | number | boolean | null>;
