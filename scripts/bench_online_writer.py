"""A steady writer for scripts/bench-online.sh: inserts and updates rows of bench table `t`
at a fixed rate, each in its own transaction, until the file STOP exists; then prints how
long its writes were held up (JSON). A write that takes longer than the threshold was
blocked by a lock (a normal one takes about a millisecond here)."""
import json, os, random, sys, time

import psycopg2

url, stop, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
threshold = 0.05
conn = psycopg2.connect(url)
conn.autocommit = True
cur = conn.cursor()
cur.execute("select pg_backend_pid()")
pid = cur.fetchone()[0]
cur.execute("select max(id) from t")
top = cur.fetchone()[0]
inserted = []
latencies = []
started = time.monotonic()
next_at = started
n = 0
while not os.path.exists(stop):
    now = time.monotonic()
    if now < next_at:
        time.sleep(next_at - now)
    t0 = time.monotonic()
    if n % 2 == 0:
        cur.execute("insert into t (a, b, c, ref) values (%s, %s, %s, %s) returning id",
                    (random.randint(1, 10**6), "w%d" % n, random.randint(0, 100), random.randint(1, 1000)))
        inserted.append(cur.fetchone()[0])
    else:
        cur.execute("update t set b = %s where id = %s", ("u%d" % n, random.randint(1, top)))
    latencies.append(time.monotonic() - t0)
    n += 1
    next_at += 1 / rate
elapsed = time.monotonic() - started
blocked = [x for x in latencies if x > threshold]
# Every row the writer was told is in must still be there after the apply.
cur.execute("select count(*) from t where id = any(%s)", (inserted,))
lost = len(inserted) - cur.fetchone()[0]
print(json.dumps({"writes": n, "seconds": round(elapsed, 2), "max_ms": round(max(latencies) * 1000, 1),
                  "blocked_writes": len(blocked), "blocked_s": round(sum(blocked), 2), "lost": lost,
                  "pid": pid}))
