#!/usr/bin/env python3
"""Write the synthetic demo data for ppgd.

config/demo/members.csv    about 200 members of a virtual PPG, in ppgd's own
                           column names (the form member export writes)
config/demo/gp-export.csv  the same members as an EMIS Web patient report:
                           title lines, "Patient ID", "Forename", "Date of
                           Birth", NHS ethnic categories; what make demo
                           imports
config/demo/population.csv the practice's registered population (9,000)

No real people: names are drawn at random from invented pairings, emails are
at example.org/.com/.net (RFC 2606) and mobiles are in Ofcom's drama range
07700 900000-900999, written in the varied ways people type them. A few names
carry commas, quotes and accents so an import exercises the CSV reader.

Deterministic: a fixed seed, so running it again rewrites the same bytes.
Python 3 standard library only.  Usage: scripts/gen-demo-data.py [--outdir DIR]
"""

import argparse
import csv
import datetime
import os
import random
import unicodedata

SEED = 20240611
N_MEMBERS = 200
N_NO_MOBILE = 20  # email only
N_NO_EMAIL = 14  # SMS only
POPULATION = 9000

HEADER = [
    "external_ref", "first_name", "last_name", "email", "mobile",
    "preferred_channel", "consent_email", "consent_sms", "age_band", "sex",
    "ethnicity", "disability", "carer", "tags", "joined",
]

AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84",
             "85+"]
# PPG members: older people over-represented, as in real groups.
MEMBER_AGE_WEIGHTS = [4, 8, 11, 15, 20, 22, 15, 5]
# A practice's registered list, children included.
POPULATION_AGES = [("0-15", 18.5), ("16-24", 10.5), ("25-34", 14.5),
                   ("35-44", 13.5), ("45-54", 13.0), ("55-64", 12.0),
                   ("65-74", 9.0), ("75-84", 6.5), ("85+", 2.5)]

MEMBER_SEX = [("female", 58), ("male", 38), ("other", 1),
              ("prefer not to say", 3)]
POPULATION_SEX = [("female", 50.6), ("male", 49.4)]

# ONS 5 groups. Members under-represent minorities, as PPGs often do.
ETHNIC_GROUPS = ["white", "mixed", "asian", "black", "other"]
MEMBER_ETHNICITY = [82, 3, 9, 4, 1]
POPULATION_ETHNICITY = [73.5, 3.5, 12.5, 6.5, 4.0]

FEMALE = [
    "Olivia", "Amelia", "Isla", "Ava", "Grace", "Freya", "Lily", "Ruby",
    "Aisha", "Fatima", "Priya", "Anjali", "Zainab", "Maryam", "Nusrat",
    "Amara", "Chidinma", "Abena", "Ngozi", "Folake", "Siobhán", "Niamh",
    "Bethan", "Catrin", "Zoë", "Agnieszka", "Ewa", "Oksana", "Mei", "Xiu",
    "Margaret", "Joan", "Dorothy", "Pauline", "Sandra", "Janet", "Patricia",
    "Hazel", "Elif", "Leyla", "Rukhsana", "Shabana", "Gurpreet", "Shanice",
    "Chantelle", "Keisha", "Maria", "Ana", "Kerry-Ann", "Bernadette",
]
MALE = [
    "Oliver", "George", "Harry", "Jack", "Noah", "Mohammed", "Muhammad",
    "Yusuf", "Ibrahim", "Arjun", "Rohan", "Sanjay", "Rajesh", "Imran",
    "Tariq", "Kwame", "Kofi", "Chinedu", "Tunde", "Emeka", "Delroy",
    "Winston", "Lloyd", "Jermaine", "Seán", "Ciarán", "Dylan", "Rhys",
    "Łukasz", "Piotr", "Tomasz", "Andrei", "Wei", "Jun", "Kenneth", "Derek",
    "Brian", "Colin", "Geoffrey", "Trevor", "Raymond", "Barry", "Mustafa",
    "Emre", "José", "Dennis", "Harjit",
]
NEUTRAL = ["Alex", "Sam", "Jordan", "Charlie", "Robin", "Ashley", "Jamie",
           "Kai"]
SURNAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans",
    "Wilson", "Thomas", "Johnson", "Roberts", "Robinson", "Thompson",
    "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Jackson", "Wood", "Turner", "Patel",
    "Khan", "Begum", "Ali", "Hussain", "Ahmed", "Shah", "Singh", "Kaur",
    "Sharma", "Chowdhury", "Rahman", "Islam", "Mistry", "Okafor", "Adeyemi",
    "Mensah", "Osei", "Boateng", "Okonkwo", "Campbell", "Francis", "Grant",
    "Murphy", "O'Brien", "O'Connor", "Kelly", "Byrne", "McDonald",
    "MacLeod", "Nowak", "Kowalski", "Wiśniewski", "Chen", "Wong", "Li",
    "Nguyen", "Yılmaz", "Demir", "Da Silva", "Santos", "Fernández",
    "Papadopoulos", "Ivanova", "Ashworth-Mensah", "ffrench",
]

# Hand-made members whose fields need quoting or careful handling.
SPECIAL_NAMES = [
    ("Robert \"Bob\"", "Smith, Jr", "male"),
    ("Mary-Kate", "O'Brien", "female"),
    ("Siobhán", "Ní Bhriain", "female"),
    ("Zoë", "Ashworth-Mensah", "female"),
    ("Łukasz", "Wiśniewski", "male"),
    ("Ann", "Jones, née Evans", "female"),
    ("Dave \"The Bus\"", "Okafor", "male"),
]

MOBILE_FORMS = [
    "07700 {a}", "07700{a}", "+44 7700 {a}", "+44 (0)7700 {a}",
    "0044 7700{a}", "44 7700 {a}", "07700-{a3}-{b3}", "+447700{a}",
    "(07700) {a}",
]
DOMAINS = ["example.org", "example.com", "example.net"]


def weighted(rng, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def apportion(total, shares):
    """Split total over shares by largest remainder; counts sum to total."""
    whole = sum(shares)
    raw = [total * s / whole for s in shares]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def ascii_slug(name):
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l")
                                   .replace("Ł", "L").replace("ı", "i"))
    return "".join(c for c in folded.lower() if c.isascii() and c.isalnum())


def pick_first_name(rng, sex):
    if sex == "female":
        pool = FEMALE
    elif sex == "male":
        pool = MALE
    else:
        pool = NEUTRAL + FEMALE[:6] + MALE[:6]
    if rng.random() < 0.05:
        pool = NEUTRAL
    return rng.choice(pool)


def make_email(rng, first, last, used):
    base = ascii_slug(first.split('"')[0]) + "." + \
        ascii_slug(last.split(",")[0])
    style = rng.random()
    if style < 0.15:
        base = ascii_slug(first)[0] + ascii_slug(last.split(",")[0])
    elif style < 0.25:
        base += str(rng.randint(1, 99))
    email = base + "@" + rng.choice(DOMAINS)
    n = 2
    while email in used:
        email = "%s%d@%s" % (base, n, rng.choice(DOMAINS))
        n += 1
    used.append(email)
    if rng.random() < 0.05:  # typed with capitals
        email = email[0].upper() + email[1:]
    return email


def make_mobile(rng, number):
    a = "%06d" % (900000 + number)
    form = rng.choice(MOBILE_FORMS)
    return form.format(a=a, a3=a[:3], b3=a[3:])


def make_tags(rng, age, disability):
    tags = []
    young = age in ("16-24", "25-34", "35-44")
    old = age in ("75-84", "85+")
    if young and rng.random() < 0.18:
        tags.append("young-parent")
    if age == "16-24" and rng.random() < 0.4:
        tags.append("student")
    if rng.random() < 0.09:
        tags.append("mental-health")
    if (old and rng.random() < 0.3) or (age == "65-74" and
                                        rng.random() < 0.06):
        tags.append("housebound")
    if disability == "yes" and rng.random() < 0.12:
        tags.append("learning-disability")
    if age not in ("16-24",) and rng.random() < 0.03:
        tags.append("veteran")
    return ";".join(tags)


def consent(rng, has_channel):
    if not has_channel:
        return ""
    r = rng.random()
    return "yes" if r < 0.84 else ("no" if r < 0.92 else "")


def yes_no(rng, p_yes, p_blank=0.03):
    r = rng.random()
    return "" if r < p_blank else ("yes" if r < p_blank + p_yes else "no")


def make_member(rng, i, name, mobile_no, has_email, used_emails):
    age = weighted(rng, AGE_BANDS, MEMBER_AGE_WEIGHTS)
    sex = weighted(rng, [s for s, _ in MEMBER_SEX], [w for _, w in MEMBER_SEX])
    if name is not None:
        first, last, sex = name
    else:
        first, last = pick_first_name(rng, sex), rng.choice(SURNAMES)
    email = make_email(rng, first, last, used_emails) if has_email else ""
    mobile = make_mobile(rng, mobile_no) if mobile_no is not None else ""
    if email and mobile:
        channel = "email" if rng.random() < 0.55 else "sms"
    else:
        channel = "email" if email else "sms"
    p_disabled = 0.35 if age in ("75-84", "85+") else 0.18
    disability = yes_no(rng, p_disabled)
    joined = datetime.date(2023, 4, 1) + \
        datetime.timedelta(days=rng.randrange(1300))
    return [
        "PPG-%04d" % i, first, last, email, mobile, channel,
        consent(rng, bool(email)), consent(rng, bool(mobile)), age, sex,
        weighted(rng, ETHNIC_GROUPS + [""], MEMBER_ETHNICITY + [2]),
        disability, yes_no(rng, 0.13), make_tags(rng, age, disability),
        joined.isoformat(),
    ]


def members(rng):
    order = list(range(N_MEMBERS))
    rng.shuffle(order)
    no_mobile = order[:N_NO_MOBILE]
    no_email = order[N_NO_MOBILE:N_NO_MOBILE + N_NO_EMAIL]
    special = dict(zip(order[N_NO_MOBILE + N_NO_EMAIL:], SPECIAL_NAMES))
    numbers = rng.sample(range(1000), N_MEMBERS)
    used = []
    rows = []
    for i in range(N_MEMBERS):
        mobile_no = None if i in no_mobile else numbers[i]
        rows.append(make_member(rng, i + 1, special.get(i), mobile_no,
                                i not in no_email, used))
    rows.sort(key=lambda r: (r[14], r[0]))  # by date joined
    for n, row in enumerate(rows, 1):
        row[0] = "PPG-%04d" % n
    return rows


def population():
    rows = []
    ages = apportion(POPULATION, [s for _, s in POPULATION_AGES])
    rows += [("age_band", b, n) for (b, _), n in zip(POPULATION_AGES, ages)]
    sexes = apportion(POPULATION, [s for _, s in POPULATION_SEX])
    rows += [("sex", s, n) for (s, _), n in zip(POPULATION_SEX, sexes)]
    groups = apportion(POPULATION, POPULATION_ETHNICITY)
    rows += [("ethnicity", g, n) for g, n in zip(ETHNIC_GROUPS, groups)]
    return rows


# The broad groups as the NHS ethnic categories EMIS Web prints.
NHS_ETHNICITY = {
    "white": [("White - British", 85), ("White - Irish", 4),
              ("White - Any other White background", 11)],
    "mixed": [("Mixed - White and Black Caribbean", 40),
              ("Mixed - White and Asian", 35),
              ("Mixed - Any other mixed background", 25)],
    "asian": [("Asian or Asian British - Indian", 35),
              ("Asian or Asian British - Pakistani", 35),
              ("Asian or Asian British - Bangladeshi", 15),
              ("Other Ethnic Groups - Chinese", 15)],
    "black": [("Black or Black British - African", 60),
              ("Black or Black British - Caribbean", 40)],
    "other": [("Other Ethnic Groups - Any other ethnic group", 1)],
    "": [("Not stated", 1)],
}
NHS_SEX = {"female": "Female", "male": "Male", "other": "Indeterminate",
           "prefer not to say": "Not stated"}
GP_TITLE = ["Patient Details - PPG virtual network members",
            "Search run 01-Jun-2026 by Practice Manager"]
GP_HEADER = [
    "Patient ID", "Title", "Forename", "Surname", "Date of Birth", "Gender",
    "Ethnicity", "Mobile Telephone", "Email Address", "Preferred Contact",
    "Consent to email", "Consent to SMS", "Disability", "Carer",
    "PPG Groups", "PPG Joined",
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]


def gp_export(rng, rows):
    """The members as an EMIS Web report: a date of birth inside the age
    band on 1 June 2026, NHS wording for sex and ethnicity."""
    out = []
    for r in rows:
        (ref, first, last, email, mobile, channel, c_email, c_sms, band,
         sex, eth, disability, carer, tags, joined) = r
        lo = int(band.rstrip("+").split("-")[0])
        hi = lo + 9 if band != "85+" else 95
        if band == "16-24":
            hi = 24
        age = rng.randint(lo, hi)
        year, month = 2026 - age, rng.randint(1, 12)
        if month > 5:  # not yet had this year's birthday on 1 June
            year -= 1
        dob = "%02d-%s-%d" % (rng.randint(1, 28), MONTHS[month - 1], year)
        groups = NHS_ETHNICITY[eth]
        ethnicity = weighted(rng, [g for g, _ in groups], [w for _, w in groups])
        title = {"female": "Ms", "male": "Mr"}.get(sex, "Mx")
        out.append([ref.replace("PPG-", "E"), title, first, last, dob,
                    NHS_SEX[sex], ethnicity, mobile, email,
                    {"email": "Email", "sms": "SMS"}[channel], c_email, c_sms,
                    disability, carer, tags, joined])
    return out


def write_gp(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        for line in GP_TITLE:
            w.writerow([line] + [""] * (len(GP_HEADER) - 1))
        f.write("\r\n")
        w.writerow(GP_HEADER)
        w.writerows(rows)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", default=os.path.join(top, "config", "demo"))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    rng = random.Random(SEED)
    rows = members(rng)
    write_csv(os.path.join(args.outdir, "members.csv"), HEADER, rows)
    write_gp(os.path.join(args.outdir, "gp-export.csv"),
             gp_export(random.Random(SEED + 1), rows))
    write_csv(os.path.join(args.outdir, "population.csv"),
              ["field", "value", "patients"], population())


if __name__ == "__main__":
    main()
