#!/usr/bin/env python3
"""Write N synthetic member rows (CSV) to stdout for benchmarks, shaped like
an EMIS Web patient report (its header names, dates of birth, NHS sex and
ethnic category wording), so the benchmark includes the header mapping and
the demographic reading a real practice's file needs."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
rng = random.Random(7)
first = ["Ann", "Bob", "Cara", "Dev", "Ella", "Femi", "Grace", "Hamza", "Ivy", "Jon"]
last = ["Smith", "Patel", "Jones", "Khan", "Brown", "Okafor", "Wilson", "Nowak"]
sexes = ["Female", "Male"]
eth = ["White - British", "White - Any other White background",
       "Mixed - White and Asian", "Asian or Asian British - Indian",
       "Black or Black British - African", "Other Ethnic Groups - Chinese",
       "Not stated"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
          "Nov", "Dec"]
print('"Patient ID","Forename","Surname","Email Address","Mobile Telephone",'
      '"Preferred Contact","Consent to email","Consent to SMS","Date of Birth",'
      '"Gender","Ethnicity","PPG Groups"')
for i in range(n):
    mobile = "07%09d" % (700000000 + i)
    dob = "%02d-%s-%d" % (rng.randint(1, 28), rng.choice(months),
                          rng.randint(1930, 2008))
    print("B%07d,%s,%s,m%d@example.org,%s,%s,yes,%s,%s,%s,%s,%s" % (
        i, rng.choice(first), rng.choice(last), i, mobile,
        rng.choice(["Email", "SMS"]), rng.choice(["yes", "no"]), dob,
        rng.choice(sexes), rng.choice(eth), "carer" if i % 17 == 0 else ""))
