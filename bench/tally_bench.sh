#!/bin/sh
# Tally a survey with 1,000,000 answers: time `ppgd results SLUG --json`
# beside the same aggregate as one bare SELECT ... GROUP BY through the
# sqlite3 shell, in the same run, and print the ratio (aim: within 2x).
#   bench/tally_bench.sh [ANSWERS]      (ANSWERS rounded down to a multiple of 4)
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

# Warm the page cache once, so both timings read from memory.
sqlite3 "$db" 'SELECT count(*) FROM answers' >/dev/null

t0=$(date +%s.%N)
"$ppgd" -c "$conf" results bench --json >"$work/out.json"
t1=$(date +%s.%N)
sqlite3 "$db" "SELECT a.question, a.value, count(*) FROM answers a
  JOIN responses r ON r.id = a.response_id WHERE r.survey_id = 1
  GROUP BY a.question, a.value" >"$work/bare.txt"
t2=$(date +%s.%N)

awk -v n="$n" -v b0="$start" -v b1="$built" -v t0="$t0" -v t1="$t1" \
    -v t2="$t2" 'BEGIN {
	ppgd = t1 - t0; bare = t2 - t1
	printf "tally bench: %d answers (built in %.2f s)\n", n, b1 - b0
	printf "  ppgd results --json   %.3f s\n", ppgd
	printf "  bare GROUP BY (sqlite3) %.3f s\n", bare
	printf "  ratio                 %.2fx (aim: within 2x)\n", ppgd / bare
}'
# The two must agree: the FFT counts in the JSON sum to the responses.
python3 - "$work/out.json" "$responses" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
total = sum(o["count"] for o in r["questions"][0]["options"])
if total != int(sys.argv[2]):
    sys.exit("tally bench: FFT counts %d != %s responses" % (total, sys.argv[2]))
EOF
