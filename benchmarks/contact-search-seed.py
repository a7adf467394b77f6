"""Seeds a Cairn SQLite store (schema up to migration 0013, before contact search's 0015) with N contacts."""
import json, os, random, sqlite3, sys, time, uuid

path, count = sys.argv[1], int(sys.argv[2])
migrations = sys.argv[3]
random.seed(20)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
for name in sorted(os.listdir(migrations)):
    version = int(name[:4])
    if version > 13:
        continue
    db.executescript(open(os.path.join(migrations, name)).read())
db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
for v in range(1, 14):
    db.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (v, f"seed.{v:04d}"))
db.commit()

firsts = ["mary", "mark", "maria", "james", "john", "linda", "robert", "patricia", "michael", "jennifer", "william", "elizabeth",
          "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen", "chris", "nancy",
          "daniel", "lisa", "matthew", "betty", "anthony", "sandra", "emma", "olivia", "noah", "liam", "sophia", "lucas"]
lasts = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez", "hernandez",
         "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson",
         "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen", "king", "wright"]
domains = ["gmail.com"] * 30 + ["yahoo.com"] * 10 + ["outlook.com"] * 10 + ["example.com"] * 5 + [f"company{i}.io" for i in range(45)]
plans = ["free"] * 70 + ["pro"] * 25 + ["enterprise"] * 5
countries = ["us"] * 40 + ["de"] * 15 + ["fr"] * 10 + ["gb"] * 15 + ["es"] * 8 + ["it"] * 8 + ["nl"] * 3 + ["is"]
base_ms = 1_767_225_600_000  # 2026-01-01

def iso(us):
    t = time.gmtime(us // 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{us % 1_000_000:06d}0+00:00"

def uuid7(ms):
    r = random.getrandbits(74)
    value = (ms << 80) | (0x7 << 76) | ((r >> 62) << 64) | (0b10 << 62) | (r & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))

start = time.time()
batch, idents = [], []
for i in range(count):
    ms = base_ms + i * 20
    us = ms * 1000
    cid = uuid7(ms)
    first, last = random.choice(firsts), random.choice(lasts)
    email = f"{first}.{last}{i}@{random.choice(domains)}"
    name = f"{first.title()} {last.title()}"
    phone = f"+1415{random.randrange(10**7):07d}" if i % 2 == 0 else None
    anon = f"anon-{random.getrandbits(64):016x}"
    user = f"user-{i}"
    at = iso(us)
    traits = {"email": {"v": email, "at": at}, "name": {"v": name, "at": at}, "plan": {"v": random.choice(plans), "at": at},
              "country": {"v": random.choice(countries), "at": at}, "seats": {"v": random.randrange(1, 200), "at": at}}
    if phone:
        traits["phone"] = {"v": phone, "at": at}
    state = {"id": cid, "userId": user, "anonymousIds": [anon], "traits": traits, "email": email}
    if phone:
        state["phone"] = phone
    state.update({"groups": [], "firstSeen": at, "lastSeen": at, "eventCount": 3, "eventCounts": {"Signed Up": 1, "Page Viewed": 2},
                  "createdAt": at, "updatedAt": at})
    batch.append((cid, user, email, phone, f"{email} {name}".lower(), us, us, us, us, json.dumps(state, separators=(",", ":")), random.randrange(10000)))
    idents.append(("user", user, cid))
    idents.append(("anon", anon, cid))
    if len(batch) == 50_000:
        db.executemany("INSERT INTO contacts (id, user_id, email, phone, search, first_seen, last_seen, created_at, updated_at, state, bucket) VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
        db.executemany("INSERT INTO identities (kind, value, contact_id) VALUES (?,?,?)", idents)
        db.commit()
        batch, idents = [], []
        print(f"{i + 1} contacts, {time.time() - start:.0f} s", flush=True)
if batch:
    db.executemany("INSERT INTO contacts (id, user_id, email, phone, search, first_seen, last_seen, created_at, updated_at, state, bucket) VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
    db.executemany("INSERT INTO identities (kind, value, contact_id) VALUES (?,?,?)", idents)
    db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
print(f"seeded {count} contacts in {time.time() - start:.0f} s")
