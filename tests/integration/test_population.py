#!/usr/bin/env python3
"""`ppgd practice profile` with NHS Digital's "Patients Registered at a GP
Practice" files (single year of age by sex, and five-year), the practice's
rows picked by ODS code; its ethnicity rows kept; standard input."""

import csv
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ppgdtest as t  # noqa: E402

NHS = os.path.join(t.TOP, "tests", "data", "nhs")
BANDS = ["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"]


def profile(env, field):
    con = sqlite3.connect(env.path("ppgd.db"))
    try:
        return dict(con.execute("SELECT value, patients FROM population WHERE"
                                " practice_id = 1 AND field = ?", (field,)))
    finally:
        con.close()


def band(age):
    return 0 if age < 16 else 8 if age >= 85 else 1 + (age - 15) // 10


def expected_single(code):
    ages, sexes = [0] * 9, {"female": 0, "male": 0}
    for sex in ("female", "male"):
        with open(os.path.join(NHS, "gp-reg-pat-prac-sing-age-%s.csv" % sex)) as f:
            for r in csv.DictReader(f):
                if r["ORG_CODE"] != code or r["AGE"] == "ALL":
                    continue
                n = int(r["NUMBER_OF_PATIENTS"])
                ages[band(int(r["AGE"].rstrip("+")))] += n
                sexes[sex] += n
    return dict(zip(BANDS, ages)), sexes


def main():
    env = t.TestEnv("population")
    for args in (["init"], ["practice", "add", "A81001", "--name", "Riverside"]):
        rc, _, err = env.ppgd(*args)
        t.check(rc == 0, "%s (%r)" % (" ".join(args), err))
    eth = env.path("ethnicity.csv")
    with open(eth, "w") as f:
        f.write("field,value,patients\nethnicity,white,7000\nethnicity,asian,1200\n")
    rc, out, err = env.ppgd("practice", "profile", "A81001", eth)
    t.check(rc == 0, "the field,value,patients form still loads (%r)" % err)

    files = [os.path.join(NHS, "gp-reg-pat-prac-sing-age-%s.csv" % s) for s in ("female", "male")]
    rc, out, err = env.ppgd("practice", "profile", "A81001", *files)
    t.check(rc == 0 and "loaded 13 population rows for A81001" in out,
            "single-year files for both sexes load (%r %r)" % (out, err))
    ages, sexes = expected_single("A81001")
    t.check_eq(profile(env, "age_band"), ages, "single years summed into ppgd's bands")
    t.check_eq(profile(env, "sex"), sexes, "sexes summed, ALL rows not counted twice")
    t.check_eq(profile(env, "ethnicity"), {"white": 7000, "asian": 1200},
               "the practice's ethnicity rows are kept")

    quin = os.path.join(NHS, "gp-reg-pat-prac-quin-age.csv")
    with open(quin) as f:
        rc, out, err = env.ppgd("practice", "profile", "A81001", "-", input=f.read())
    t.check(rc == 0, "the five-year file loads from standard input (%r)" % err)
    got = profile(env, "age_band")
    t.check_eq(sum(got.values()), sum(ages.values()), "the five-year file has every patient")
    t.check_eq({b: got[b] for b in BANDS[2:]}, {b: ages[b] for b in BANDS[2:]},
               "five-year groups from 20 map onto the bands exactly")
    t.check(abs(got["0-15"] - ages["0-15"]) <= 40,
            "15_19 is split a fifth to 0-15 (%d vs %d)" % (got["0-15"], ages["0-15"]))
    t.check_eq(profile(env, "sex"), sexes, "sex totals from the five-year file")

    rc, out, err = env.ppgd("practice", "add", "Z99999", "--name", "Nowhere")
    rc, out, err = env.ppgd("practice", "profile", "Z99999", quin)
    t.check(rc == 1 and "no rows for practice Z99999" in err,
            "a practice not in the file is an error (%r)" % err)
    rc, out, err = env.ppgd("practice", "profile", "A81001", files[0], eth)
    t.check_eq(rc, 1, "NHS files and a field,value,patients file are not mixed")
    t.finish()


if __name__ == "__main__":
    main()
