"""
pinpipe's batch job on Apache Spark (batch-run --engine spark), run by spark-submit.

The CLI (src/pipeline/batch-run/spark.ts) cleans the raw lines with clean.ts and stages them as
NDJSON, then submits this job with one argument: a JSON spec. The job only writes files under the
spec's `out` directory; the CLI publishes them to the lake and writes the store and the ledger
after the job succeeded, exactly as the DuckDB path does:

  <curatedOut>/<table>/dt=<day>/part-*.parquet  one file per table and day (one row per ind)
  out/metrics/<id>.json                          the rows of each historical metric, one JSON array
  out/realtime/<day>.json                        the realtime metrics' windows of a day (their rows, the unmatched counts)
  out/_SUCCESS.json                              row counts and the curated files; written last

curatedOut is out/curated, or on an S3 lake an s3a:// prefix of the run's staging area in the lake
(the spec's `hadoop` settings configure S3A; the curated day files it reads are s3a:// URIs too).

De-duplication, the curated day files and the current state across days follow
src/pipeline/batch-run/curate.ts and historical.ts; the metric files are run as they are (the
portable SQL subset of docs/metrics.md) over the views pins, geo, users and postings. The realtime
metrics' windows of a day follow curate.ts computeRealtime: the CLI prints their SQL in Spark's
dialect (src/pipeline/batch-run/spark-realtime.ts); the job runs it over the day's de-duplicated
records, neighbour margins included (views d_pin, d_geo, d_user) and their pin matches.
"""
import datetime
import decimal
import json
import os
import sys
import threading
import time

from pyspark import StorageLevel
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F


def read_staged(spark, files, columns):
    """Staged NDJSON (strings for the timestamps) → the staged columns with their types."""
    schema = ", ".join(f"`{n}` {'string' if t == 'timestamp_ntz' else t}" for n, t in columns)
    df = spark.read.schema(schema).option("mode", "FAILFAST").json(files)
    for n, t in columns:
        if t == "timestamp_ntz":
            # ISO 8601 with Z; the session time zone is UTC, so the wall clock is the UTC instant
            df = df.withColumn(n, F.col(n).cast("timestamp").cast("timestamp_ntz"))
    return df


def dedup(df):
    """One copy per event_id: the smallest ingested_at, then log position (nulls last)."""
    first = Window.partitionBy("event_id").orderBy(
        F.col("ingested_at").asc(), F.col("_partition").asc_nulls_last(), F.col("_offset").asc_nulls_last()
    )
    return df.withColumn("_n", F.row_number().over(first)).where("_n = 1").drop("_n")


def curated_day(df, day, table, columns):
    """One day's curated rows: de-duplicated by event_id, the day's rows, the latest per ind."""
    df = dedup(df)
    end = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
    start_ts = F.lit(f"{day} 00:00:00").cast("timestamp_ntz")
    end_ts = F.lit(f"{end} 00:00:00").cast("timestamp_ntz")
    df = df.where((F.col("ingested_at") >= start_ts) & (F.col("ingested_at") < end_ts))
    latest = Window.partitionBy("ind").orderBy(F.col("ingested_at").desc(), F.col("event_id").desc())
    df = df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")
    cols = []
    for n, _t in columns:
        if table == "pins" and n == "tag_list":
            cols.append(F.split(F.col("tag_list"), ",", -1).alias("tag_list"))
        elif table == "geo" and n == "coordinates":
            cols.append(F.array(F.col("latitude"), F.col("longitude")).alias("coordinates"))
        else:
            cols.append(F.col(n))
    return df.select(*cols).orderBy("ind")


def realtime_day(spark, out, day, rt):
    """The realtime windows of a day over the views d_pin, d_geo, d_user: the pin matches once, then each plan."""
    matches = spark.sql(rt["pinMatches"]).persist(StorageLevel.MEMORY_AND_DISK)
    matches.createOrReplaceTempView("pin_matches")
    res = {"metrics": {}, "unmatched": {}}
    for m in rt["metrics"]:
        t = time.monotonic()
        df = spark.sql(m["sql"])
        names = df.columns
        rows = [{n: plain(r[i]) for i, n in enumerate(names)} for r in df.collect()]
        res["metrics"][m["id"]] = {"rows": rows, "seconds": round(time.monotonic() - t, 3)}
    u = spark.sql(rt["unmatched"]).collect()[0]
    res["unmatched"] = {"unmatched_geo": u[0], "unmatched_user": u[1]}
    matches.unpersist()
    os.makedirs(f"{out}/realtime", exist_ok=True)
    with open(f"{out}/realtime/{day}.json", "w", encoding="utf-8") as f:
        json.dump(res, f)


def plain(v):
    """A metric value as JSON, as src/engine/values.ts makes DuckDB's values plain."""
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    if isinstance(v, datetime.date):
        return v.isoformat() + "T00:00:00.000Z"
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if hasattr(v, "asDict"):
        return {k: plain(x) for k, x in v.asDict().items()}
    return v


def fail(message):
    sys.stderr.write(f"\nPINPIPE_SPARK_ERROR: {message}\n")
    sys.stderr.flush()
    sys.stdout.flush()


def watchdog(spark):
    """
    On a cluster, a job whose executors are all lost (the workers killed) waits for resources
    forever: fail it once no executor has been there for spark.pinpipe.executorWaitSeconds
    (default 120; the start included).
    """
    sc = spark.sparkContext
    if sc.master.startswith("local"):
        return
    wait = float(spark.conf.get("spark.pinpipe.executorWaitSeconds", "120"))

    def run():
        since = time.monotonic()
        while True:
            time.sleep(1)
            executors = sc._jsc.sc().getExecutorMemoryStatus().size() - 1  # the driver's own block manager is listed too
            if executors > 0:
                since = time.monotonic()
            elif time.monotonic() - since > wait:
                fail(f"no Spark executor for {wait:g} s on {sc.master} (workers lost, or no free cores or memory; spark.pinpipe.executorWaitSeconds)")
                os._exit(4)

    threading.Thread(target=run, name="pinpipe-watchdog", daemon=True).start()


def main(spec_file):
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    out = spec["out"]
    builder = SparkSession.builder.appName(spec.get("name", "pinpipe-batch"))
    # Hadoop settings (S3A's, credentials included) from the spec file, not the command line
    for k, v in spec.get("hadoop", {}).items():
        builder = builder.config(f"spark.hadoop.{k}", v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    watchdog(spark)
    counts = {"days": {}, "metrics": {}, "files": {}}
    new_files = {t: [] for t in spec["curatedColumns"]}
    for d in spec["days"]:
        day = d["day"]
        rt = d.get("realtime")
        kept = []
        if d.get("curate", True):
            counts["days"][day] = {}
            counts["files"][day] = {}
        for topic, table in spec["tableOf"].items():
            files = d["inputs"].get(topic) or []
            target = f"{spec['curatedOut']}/{table}/dt={day}"
            if files:
                df = read_staged(spark, files, spec["stageColumns"][topic])
            else:
                df = spark.createDataFrame([], ", ".join(f"`{n}` {t}" for n, t in spec["stageColumns"][topic]))
            if d.get("curate", True):
                rows = curated_day(df, day, table, spec["curatedColumns"][table])
                rows.coalesce(1).write.mode("overwrite").option("compression", "zstd").parquet(target)
                written = spark.read.parquet(target)
                counts["days"][day][table] = written.count()
                counts["files"][day][table] = written.inputFiles()
                new_files[table].append({"dt": day, "path": target})
            if rt:
                # the de-duplicated records of the day and its margins, only the columns the plans read
                names = list(dict.fromkeys(["ind", "event_id", "ingested_at", *rt["columns"][topic]]))
                narrow = dedup(df).select(*names).persist(StorageLevel.MEMORY_AND_DISK)
                narrow.createOrReplaceTempView(f"d_{topic}")
                kept.append(narrow)
        if rt:
            realtime_day(spark, out, day, rt)
            for narrow in kept:
                narrow.unpersist()

    if spec["metrics"]:
        for table, columns in spec["curatedColumns"].items():
            parts = [{"dt": x["dt"], "path": x["path"]} for x in spec["curated"].get(table, [])] + new_files[table]
            names = [n for n, _ in columns]
            if parts:
                df = None
                for p in parts:
                    one = spark.read.parquet(p["path"]).select(*names).withColumn("_dt", F.lit(p["dt"]))
                    df = one if df is None else df.unionByName(one)
                # the current row of each ind across the day files: the latest (ingested_at, event_id)
                latest = Window.partitionBy("ind").orderBy(F.col("ingested_at").desc(), F.col("event_id").desc())
                df = df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n", "_dt")
            else:
                df = spark.createDataFrame([], ", ".join(f"`{n}` {t}" for n, t in columns))
            df.createOrReplaceTempView(table)
        postings = spark.sql(spec["postingsSql"]).cache()
        postings.createOrReplaceTempView("postings")
        os.makedirs(f"{out}/metrics", exist_ok=True)
        if spec.get("check"):
            check(spark, spec, out)
            spark.stop()
            return
        for m in spec["metrics"]:
            result = spark.sql(m["sql"])
            # the output columns by position, under the names DuckDB gives them (the store's columns)
            names = m["columns"]
            if len(result.columns) != len(names):
                raise ValueError(f"metric {m['id']}: Spark gives {len(result.columns)} columns ({', '.join(result.columns)}), DuckDB {len(names)}")
            rows = [{n: plain(r[i]) for i, n in enumerate(names)} for r in result.collect()]
            with open(f"{out}/metrics/{m['id']}.json", "w", encoding="utf-8") as f:
                json.dump(rows, f)
            counts["metrics"][m["id"]] = len(rows)

    if spec.get("check"):
        # only realtime files to check (no historical one: no views above)
        check(spark, spec, out)
        spark.stop()
        return
    with open(f"{out}/_SUCCESS.json", "w", encoding="utf-8") as f:
        json.dump(counts, f)
    spark.stop()


def check(spark, spec, out):
    """metrics check --engine spark: analyse every metric over the empty tables; the refusals by id."""
    refused = {}
    for m in spec["metrics"]:
        try:
            cols = spark.sql(m["sql"]).columns
            if len(cols) != len(m["columns"]):
                refused[m["id"]] = f"Spark gives {len(cols)} output columns ({', '.join(cols)}), DuckDB {len(m['columns'])}"
        except Exception as e:  # noqa: BLE001 - the analysis error is the answer
            refused[m["id"]] = cause(e)
    rt = spec.get("checkRealtime")
    if rt:
        # the realtime files' Spark SQL (spark-realtime.ts) over empty de-duplicated records and their pin matches
        for topic, columns in spec["stageColumns"].items():
            names = list(dict.fromkeys(["ind", "event_id", "ingested_at", *rt["columns"][topic]]))
            spark.createDataFrame([], ", ".join(f"`{n}` {t}" for n, t in columns)).select(*names).createOrReplaceTempView(f"d_{topic}")
        try:
            spark.sql(rt["pinMatches"]).createOrReplaceTempView("pin_matches")
            spark.sql(rt["unmatched"]).columns
        except Exception as e:  # noqa: BLE001 - the analysis error is the answer
            for m in rt["metrics"]:
                refused[m["id"]] = f"the stream's join: {cause(e)}"
            rt = {"metrics": []}
        for m in rt["metrics"]:
            try:
                spark.sql(m["sql"]).columns
            except Exception as e:  # noqa: BLE001 - the analysis error is the answer
                refused[m["id"]] = cause(e)
    with open(f"{out}/check.json", "w", encoding="utf-8") as f:
        json.dump(refused, f)
    with open(f"{out}/_SUCCESS.json", "w", encoding="utf-8") as f:
        json.dump({"days": {}, "metrics": {}, "files": {}}, f)


def cause(e):
    """The first line of the deepest cause a Spark error names (py4j: the Java exception)."""
    text = str(e)
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    caused = [x for x in lines if x.startswith("Caused by:")]
    if caused:
        return caused[-1][len("Caused by:") :].strip()
    return lines[0] if lines else type(e).__name__


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # noqa: BLE001 - any failure: one line for the CLI, then non-zero
        fail(f"{type(e).__name__}: {cause(e)}")
        sys.exit(3)
