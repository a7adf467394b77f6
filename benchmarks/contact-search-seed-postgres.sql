-- Seeds 200,000 contacts into a Cairn PostgreSQL database already migrated (cairn serve --postgres … once), for
-- docs/benchmarks.md "Contact search at 1,000,000 contacts": psql -f benchmarks/contact-search-seed-postgres.sql
-- 200,000 contacts like contact-search-seed.py's (emails first.last<n>@domain, a name, plan and country traits, a phone for half).
CREATE TEMP TABLE names AS SELECT
  ARRAY['mary','mark','maria','james','john','linda','robert','patricia','michael','jennifer','william','elizabeth','david','barbara','richard','susan','joseph','jessica','thomas','sarah','charles','karen','chris','nancy','daniel','lisa','matthew','betty','anthony','sandra','emma','olivia','noah','liam','sophia','lucas'] AS firsts,
  ARRAY['smith','johnson','williams','brown','jones','garcia','miller','davis','rodriguez','martinez','hernandez','lopez','gonzalez','wilson','anderson','thomas','taylor','moore','jackson','martin','lee','perez','thompson','white','harris','sanchez','clark','ramirez','lewis','robinson','walker','young','allen','king','wright'] AS lasts;
INSERT INTO contacts (id, user_id, email, phone, search, first_seen, last_seen, created_at, updated_at, state, bucket, traits)
SELECT id, 'user-' || i, email, phone, lower(email || ' ' || name), at, at, at, at,
  jsonb_build_object('id', id, 'userId', 'user-' || i, 'anonymousIds', jsonb_build_array('anon-' || md5(i::text)),
    'traits', jsonb_build_object('name', jsonb_build_object('v', name, 'at', at), 'plan', jsonb_build_object('v', plan, 'at', at), 'country', jsonb_build_object('v', country, 'at', at)),
    'email', email, 'groups', '[]'::jsonb, 'firstSeen', at, 'lastSeen', at, 'eventCount', 1, 'eventCounts', '{}'::jsonb, 'createdAt', at, 'updatedAt', at)::text,
  (random() * 9999)::int,
  jsonb_build_array(jsonb_build_array('country', country), jsonb_build_array('name', lower(name)), jsonb_build_array('plan', plan))::text
FROM (
  SELECT i, gen_random_uuid()::text AS id, timestamptz '2026-01-01' + i * interval '20 ms' AS at,
    f || '.' || l || i || '@' || (ARRAY['gmail.com','gmail.com','gmail.com','yahoo.com','outlook.com','example.com','company1.io','company2.io','company3.io','company4.io'])[1 + i % 10] AS email,
    initcap(f) || ' ' || initcap(l) AS name,
    CASE WHEN i % 2 = 0 THEN '+1415' || lpad((i * 7919 % 10000000)::text, 7, '0') END AS phone,
    (ARRAY['free','free','free','free','free','free','free','pro','pro','enterprise'])[1 + (i * 31) % 10] AS plan,
    CASE WHEN i % 100 = 7 THEN 'is' ELSE (ARRAY['us','de','fr','gb','es'])[1 + i % 5] END AS country
  FROM generate_series(0, 199999) AS i, names,
    LATERAL (SELECT firsts[1 + (i * 13) % 36] AS f, lasts[1 + (i * 17) % 35] AS l) AS n
) AS s;
INSERT INTO identities (kind, value, contact_id) SELECT 'user', user_id, id FROM contacts;
ANALYZE;
