#!/usr/bin/env python3
"""Write N synthetic member rows (CSV) to stdout for benchmarks."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
rng = random.Random(7)
first = ["Ann", "Bob", "Cara", "Dev", "Ella", "Femi", "Grace", "Hamza", "Ivy", "Jon"]
last = ["Smith", "Patel", "Jones", "Khan", "Brown", "Okafor", "Wilson", "Nowak"]
bands = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"]
sexes = ["female", "male"]
eth = ["white", "mixed", "asian", "black", "other"]
print("external_ref,first_name,last_name,email,mobile,preferred_channel,"
      "consent_email,consent_sms,age_band,sex,ethnicity,tags")
for i in range(n):
    mobile = "07%09d" % (700000000 + i)
    print("B%07d,%s,%s,m%d@example.org,%s,%s,yes,%s,%s,%s,%s,%s" % (
        i, rng.choice(first), rng.choice(last), i, mobile,
        rng.choice(["email", "sms"]), rng.choice(["yes", "no"]),
        rng.choice(bands), rng.choice(sexes), rng.choice(eth),
        "carer" if i % 17 == 0 else ""))
