/** The stream's join in SQL, for the batch recomputation of realtime metrics (the metrics themselves are files: src/metrics). */
export { inRange, matchColumn, pinMatchesSql, unmatchedSql, type MatchColumns, type RealtimeInputs } from './realtime.js';
