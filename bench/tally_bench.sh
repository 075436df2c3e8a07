#!/bin/sh
# Tally a survey with 1,000,000 answers: time `ppgd results SLUG --json`
# beside the same aggregate as one bare SELECT ... GROUP BY through the
# sqlite3 shell, in the same run, and print the ratio (aim: within 2x) and
# ppgd's peak RSS (aim: under 64 MB).
#   bench/tally_bench.sh [ANSWERS]      (ANSWERS rounded down to a multiple of 4)
#   RUNS=N: timed runs of each (default 3; the best of each counts)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ppgd=${PPGD:-$top/ppgd}
answers=${1:-$(python3 -c "print(int(1000000 * float('${BENCH_SCALE:-1}')))")}
responses=$((answers / 4))
work=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-tally-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
db=$work/ppgd.db
conf=$work/ppgd.conf

printf '[daemon]\ndatabase = %s\n' "$db" >"$conf"
"$ppgd" -c "$conf" init >/dev/null
"$ppgd" -c "$conf" practice add B1 --name Bench >/dev/null

# One survey (fft, a scale, a choice, a multiple choice); four answers a
# response, spread over a year, ages and channels mixed.
def='{"slug":"bench","title":"Bench","version":1,"anonymous":true,"closing":"Thanks.","questions":[{"key":"experience","type":"fft","required":true},{"key":"ease","type":"scale","text":"How easy?","required":false,"min":1,"max":5},{"key":"booking","type":"choice","text":"Booking?","required":false,"options":["A","B","C","D","E"]},{"key":"online","type":"choice","text":"Which?","required":false,"multiple":true,"options":["W","X","Y","Z"]}]}'
start=$(date +%s.%N)
sqlite3 "$db" >/dev/null <<EOF
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO surveys (slug, version, title, anonymous, definition, hash,
  loaded_at) VALUES ('bench', 1, 'Bench', 1, '$def', 'x', 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
  WHERE i < $responses)
INSERT INTO responses (id, survey_id, practice_id, channel, started_at,
  completed_at, age_band)
SELECT i, 1, 1, CASE i % 3 WHEN 0 THEN 'email' WHEN 1 THEN 'sms'
  ELSE 'web' END, 1735689600 + i * 97 % 31536000,
  1735689700 + i * 97 % 31536000,
  CASE i % 4 WHEN 0 THEN '16-24' WHEN 1 THEN '25-34' WHEN 2 THEN '65-74'
  ELSE NULL END FROM n;
INSERT INTO answers (response_id, question, value)
SELECT id, 'experience', CAST(1 + (id * 7) % 6 AS TEXT) FROM responses;
INSERT INTO answers (response_id, question, value, num)
SELECT id, 'ease', CAST(1 + (id * 3) % 5 AS TEXT), 1 + (id * 3) % 5
  FROM responses;
INSERT INTO answers (response_id, question, value)
SELECT id, 'booking', CAST(1 + (id * 11) % 5 AS TEXT) FROM responses;
INSERT INTO answers (response_id, question, value)
SELECT id, 'online', CASE id % 3 WHEN 0 THEN '1,3' WHEN 1 THEN '2'
  ELSE '1,2,4' END FROM responses;
COMMIT;
ANALYZE;
EOF
built=$(date +%s.%N)
n=$(sqlite3 "$db" 'SELECT count(*) FROM answers')

# Each side runs once untimed (so both read from a warm page cache), then
# RUNS times each, alternating; the best of each is compared, wall and CPU
# (user + system: less at the mercy of other work on a shared machine), with
# ppgd's peak RSS.
python3 - "$ppgd" "$conf" "$db" "$work" "${RUNS:-3}" "$n" "$start" "$built" <<'EOF'
import os, subprocess, sys, time
ppgd, conf, db, work, runs, n, start, built = sys.argv[1:9]
bare_sql = ("SELECT a.question, a.value, count(*) FROM answers a"
            " JOIN responses r ON r.id = a.response_id WHERE r.survey_id = 1"
            " GROUP BY a.question, a.value")
cmds = {"ppgd": [ppgd, "-c", conf, "results", "bench", "--json"],
        "bare": ["sqlite3", db, bare_sql]}
best = {k: [float("inf"), float("inf")] for k in cmds}
rss = 0


def run(name, timed=True):
    global rss
    with open(os.path.join(work, name + ".out"), "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmds[name], stdout=out)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    if status != 0:
        sys.exit("tally bench: %s failed" % name)
    if timed:
        best[name][0] = min(best[name][0], wall)
        best[name][1] = min(best[name][1], ru.ru_utime + ru.ru_stime)
        if name == "ppgd":
            rss = max(rss, ru.ru_maxrss)


for k in cmds:
    run(k, False)
for _ in range(int(runs)):
    for k in cmds:
        run(k)
pw, pc = best["ppgd"]
bw, bc = best["bare"]
print("tally bench: %s answers (built in %.2f s), best of %s runs each"
      % (n, float(built) - float(start), runs))
print("  ppgd results --json     %.3f s wall, %.3f s CPU, peak RSS %.1f MB"
      % (pw, pc, rss / 1024))
print("  bare GROUP BY (sqlite3) %.3f s wall, %.3f s CPU" % (bw, bc))
print("  ratio                   %.2fx wall, %.2fx CPU (aim: within 2x;"
      " RSS under 64 MB)" % (pw / bw, pc / bc))
EOF
# The two must agree: the FFT counts in the JSON sum to the responses.
python3 - "$work/ppgd.out" "$responses" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
total = sum(o["count"] for o in r["questions"][0]["options"])
if total != int(sys.argv[2]):
    sys.exit("tally bench: FFT counts %d != %s responses" % (total, sys.argv[2]))
EOF
