#!/usr/bin/env python3
"""Generates the benchmark schema for scripts/bench.sh as SQL on stdout.

    bench_schema.py --tables N --variant a|b [--seed S] [--no-objects]

Variant `a` is the base: N tables spread over three schemas (core, billing, audit) with
mixed column types, defaults, NOT NULL, identity and serial columns, a standalone
sequence per schema, enums, primary keys, unique and check constraints, foreign keys to
earlier tables (also across schemas), plain, unique, multi-column, partial and expression
indexes, and comments. Around the tables it has N/10 views, N/20 functions and N/50
triggers (integer division, so at least one of each from 50 tables on; none below 10):

- functions in SQL and PL/pgSQL, spread over the three schemas: immutable and stable
  helpers, some with parameter defaults, that views call on a column; N/200 (at least
  one) that a table uses in a CHECK constraint or a column DEFAULT; trigger functions;
  set-returning (RETURNS SETOF table) and RETURNS TABLE (...) functions over a table,
  some of which views read; utilities nothing uses (some SECURITY DEFINER); and one
  procedure from about 260 tables on, two from about 520; comments on some;
- views over one table, views joining two tables along a foreign key, aggregates, views
  calling helpers or reading a table function, views on views (chains up to three deep);
  about one in ten materialized, with an index; some WITH (security_barrier), some
  WITH LOCAL/CASCADED CHECK OPTION; comments on some;
- BEFORE INSERT OR UPDATE row triggers (some with WHEN), BEFORE UPDATE triggers with
  WHEN (OLD.c IS DISTINCT FROM NEW.c) or UPDATE OF, AFTER statement and row triggers;
  from 150 tables on one deferrable constraint trigger and one disabled trigger, from
  1,000 tables on two of each.

Variant `b` is the same schema with about 5% of the tables changed: columns added,
dropped and retyped, indexes added and dropped, checks added, tables added and dropped.
About 5% of the views, functions and triggers change too (each kind of change at least
once where there is something to change):
views get a column at the end, or an existing column turns into text (which CREATE OR
REPLACE VIEW cannot do), views are dropped and added, function bodies change, functions
nothing depends on get a new parameter, triggers are dropped, added and get another WHEN.
And at least one table column a view selects is retyped (integer to bigint or varchar(n)
to text), so the view has to be dropped and recreated around the column's type change.
Views, functions and triggers only use tables and columns that variant b keeps, and put
WHEN clauses, UPDATE OF lists and function checks and defaults only on columns whose
type variant b keeps. Partitioned tables are not used.

Statements come in an order PostgreSQL 15 accepts in a fresh database: the functions that
read no table (among them those that checks and defaults call) before the tables; the
functions that read tables, the views (each after what it reads) and the triggers after.

The views, functions and triggers are drawn from their own random stream, so the tables
are the same as without them, apart from the checks and defaults that call functions
and, in variant b, the column(s) retyped under a view.
--no-objects gives the tables-only schema of earlier versions of this script (the same
bytes for the same N and seed), to reproduce older figures. The output is deterministic
for a given N and seed.
"""

import argparse
import random
import sys

SCHEMAS = ["core", "billing", "audit"]
ENUMS = {
    "core": ("status", ["active", "suspended", "closed"]),
    "billing": ("currency", ["EUR", "USD", "GBP", "JPY"]),
    "audit": ("level", ["debug", "info", "warn", "error"]),
}
WORDS = ["account", "order", "item", "invoice", "payment", "customer", "product", "event",
         "shipment", "ledger", "note", "session", "price", "stock", "region", "contract"]
COLUMN_WORDS = ["name", "code", "title", "amount", "quantity", "total", "label", "flag",
                "score", "notes", "payload", "ref", "started", "ended", "tags", "blob",
                "day", "rank", "weight", "kind", "source", "target", "memo", "hash"]


def q(schema, name):
    return f"{schema}.{name}"


class Column:
    def __init__(self, name, type_, not_null=False, default=None, identity=None):
        self.name = name
        self.type = type_
        self.not_null = not_null
        self.default = default
        self.identity = identity  # "always" / "by default" / None
        self.used = False  # referenced by a key, index, check or foreign key
        self.comment = None

    def sql(self):
        parts = [self.name, self.type]
        if self.identity:
            parts.append(f"generated {self.identity} as identity")
        if self.default is not None:
            parts.append(f"default {self.default}")
        if self.not_null:
            parts.append("not null")
        return " ".join(parts)


class Table:
    def __init__(self, index, schema, name):
        self.index = index
        self.schema = schema
        self.name = name
        self.columns = []
        self.pk_type = None
        self.uniques = []  # (name, [cols])
        self.checks = []  # (name, expr)
        self.fks = []  # (name, col, target table, on delete)
        self.indexes = []  # (name, SQL after "ON table", "UNIQUE " or "")
        self.comment = None
        self.referenced = False
        self.counter = 0

    @property
    def qname(self):
        return q(self.schema, self.name)

    def column(self, name):
        return next(c for c in self.columns if c.name == name)

    def fresh(self, prefix):
        """A constraint or index name unique in the schema: prefix, table name, counter."""
        self.counter += 1
        return f"{prefix}_{self.name}_{self.counter}"


def random_column(rng, table, name):
    """A data column of a random type, with the checks and defaults that suit it."""
    kind = rng.choice(["int", "bigint", "text", "varchar", "numeric", "timestamptz", "bool",
                       "jsonb", "uuid", "bytea", "date", "textarr", "intarr", "enum"])
    not_null = rng.random() < 0.35
    if kind == "int":
        col = Column(name, "integer", not_null, "0" if rng.random() < 0.5 else None)
        if rng.random() < 0.3:
            table.checks.append((table.fresh("ck"), f"{name} >= 0"))
            col.used = True
    elif kind == "bigint":
        col = Column(name, "bigint", not_null)
    elif kind == "text":
        col = Column(name, "text", not_null, "''" if not_null else None)
    elif kind == "varchar":
        col = Column(name, f"varchar({rng.choice([20, 40, 64, 120, 255])})", not_null)
        if rng.random() < 0.2:
            table.checks.append((table.fresh("ck"), f"char_length({name}) > 0"))
            col.used = True
    elif kind == "numeric":
        p, s = rng.choice([(12, 2), (10, 4), (18, 6), (8, 2)])
        col = Column(name, f"numeric({p},{s})", not_null, "0" if rng.random() < 0.6 else None)
        if rng.random() < 0.3:
            table.checks.append((table.fresh("ck"), f"{name} >= 0"))
            col.used = True
    elif kind == "timestamptz":
        col = Column(name, "timestamp with time zone", not_null, "now()" if rng.random() < 0.5 else None)
    elif kind == "bool":
        col = Column(name, "boolean", True, rng.choice(["false", "true"]))
    elif kind == "jsonb":
        col = Column(name, "jsonb", not_null, "'{}'::jsonb" if rng.random() < 0.5 else None)
    elif kind == "uuid":
        col = Column(name, "uuid", not_null, "gen_random_uuid()" if rng.random() < 0.4 else None)
    elif kind == "bytea":
        col = Column(name, "bytea", False)
    elif kind == "date":
        col = Column(name, "date", not_null, "CURRENT_DATE" if rng.random() < 0.4 else None)
    elif kind == "textarr":
        col = Column(name, "text[]", not_null, "'{}'::text[]" if not_null else None)
    elif kind == "intarr":
        col = Column(name, "integer[]", False)
    else:
        type_name, labels = ENUMS[table.schema]
        col = Column(name, q(table.schema, type_name), not_null,
                     f"'{labels[0]}'::{q(table.schema, type_name)}" if rng.random() < 0.6 else None)
    return col


def add_random_index(rng, table):
    """Adds a plain, multi-column, partial, expression, unique or GIN index."""
    data = [c for c in table.columns if not c.identity and c.name != "id"]
    if not data:
        return
    kind = rng.choice(["plain", "multi", "partial", "expr", "unique"])
    name = table.fresh("ix")
    col = rng.choice(data)
    scalar = [c for c in data if not c.type.endswith("[]") and c.type not in ("jsonb", "bytea")]
    texts = [c for c in data if c.type == "text" or c.type.startswith("varchar")]
    bools = [c for c in data if c.type == "boolean"]
    if kind == "multi" and len(scalar) >= 2:
        a, b = rng.sample(scalar, 2)
        table.indexes.append((name, f"({a.name}, {b.name} DESC)", ""))
        a.used = b.used = True
    elif kind == "partial" and bools and scalar:
        b = rng.choice(bools)
        a = rng.choice(scalar)
        table.indexes.append((name, f"({a.name}) WHERE {b.name}", ""))
        a.used = b.used = True
    elif kind == "expr" and texts:
        t = rng.choice(texts)
        table.indexes.append((name, f"(lower({t.name}))", ""))
        t.used = True
    elif kind == "unique" and scalar:
        a = rng.choice(scalar)
        table.indexes.append((name, f"({a.name})", "UNIQUE "))
        a.used = True
    elif col.type == "jsonb" or col.type.endswith("[]"):
        table.indexes.append((name, f"USING gin ({col.name})", ""))
        col.used = True
    elif col.type != "bytea":
        table.indexes.append((name, f"({col.name})", ""))
        col.used = True


def make_table(rng, tables, index):
    schema = SCHEMAS[index % 3]
    table = Table(index, schema, f"{rng.choice(WORDS)}_{index:05d}")
    pk = rng.random()
    if pk < 0.65:
        table.columns.append(Column("id", "bigint", True, identity=rng.choice(["always", "by default"])))
        table.pk_type = "bigint"
    elif pk < 0.85:
        table.columns.append(Column("id", "serial", True))
        table.pk_type = "integer"
    else:
        table.columns.append(Column("id", "uuid", True, "gen_random_uuid()"))
        table.pk_type = "uuid"
    table.column("id").used = True

    # Foreign keys to earlier tables, often nearby, sometimes in another schema.
    if tables:
        for _ in range(rng.choices([0, 1, 2], [0.35, 0.45, 0.2])[0]):
            window = tables[-200:] if rng.random() < 0.7 else tables
            target = rng.choice(window)
            col_name = f"{target.name}_id"
            if any(c.name == col_name for c in table.columns):
                continue
            col = Column(col_name, target.pk_type, rng.random() < 0.5)
            col.used = True
            table.columns.append(col)
            action = rng.choice(["NO ACTION", "CASCADE", "RESTRICT"] + ([] if col.not_null else ["SET NULL"]))
            table.fks.append((f"fk_{table.name}_{target.name}", col_name, target, action))
            target.referenced = True
            if rng.random() < 0.8:
                table.indexes.append((table.fresh("ix"), f"({col_name})", ""))

    names = rng.sample(COLUMN_WORDS, rng.randint(3, 10))
    for name in names:
        table.columns.append(random_column(rng, table, name))
    if rng.random() < 0.5:
        table.columns.append(Column("created_at", "timestamp with time zone", True, "now()"))
    if rng.random() < 0.15:
        seq = q(schema, "document_no_seq")
        table.columns.append(Column("document_no", "bigint", True, f"nextval('{seq}'::regclass)"))

    if rng.random() < 0.2:
        candidates = [c for c in table.columns if c.type.startswith("varchar") or c.type in ("text", "integer", "uuid")]
        if candidates:
            cols = rng.sample(candidates, min(len(candidates), rng.choice([1, 2])))
            table.uniques.append((f"uq_{table.name}", [c.name for c in cols]))
            for c in cols:
                c.used = True
    for _ in range(rng.randint(0, 3)):
        add_random_index(rng, table)

    if rng.random() < 0.3:
        table.comment = f"{table.name.split('_')[0]} records, shard {index % 17}"
    for col in table.columns:
        if rng.random() < 0.05:
            col.comment = f"the {col.name} of a {table.name.split('_')[0]}"
    return table


def retypable(table):
    """Columns whose type can widen: integer, varchar(n), numeric(p,s), not keys."""
    fk_columns = {fk[1] for fk in table.fks}
    return [c for c in table.columns if c.name != "id" and c.name not in fk_columns and (
        c.type == "integer" or c.type.startswith("varchar") or c.type.startswith("numeric"))]


def mutate(rng, tables, n):
    """About 5% of the tables changed, in a realistic mix. Returns the new table list."""
    changed = max(7, round(n * 0.05))
    plan = (["add_column"] * 25 + ["drop_column"] * 15 + ["alter_type"] * 15 + ["add_index"] * 10
            + ["drop_index"] * 10 + ["add_check"] * 10 + ["add_table"] * 8 + ["drop_table"] * 7)
    kinds = [plan[i * len(plan) // changed] for i in range(changed)]
    touched = set()
    dropped = set()
    added = []
    next_index = len(tables)

    def pick(cond):
        candidates = [t for t in tables if t.index not in touched and cond(t)]
        if not candidates:
            return None
        t = rng.choice(candidates)
        touched.add(t.index)
        return t

    for kind in kinds:
        if kind == "add_column":
            t = pick(lambda t: True)
            col = random_column(rng, t, f"added_{t.index}")
            if col.not_null and col.default is None:
                col.default = {"integer": "0", "bigint": "0", "boolean": "false"}.get(col.type)
                col.not_null = col.default is not None
            t.columns.append(col)
        elif kind == "drop_column":
            t = pick(lambda t: any(not c.used for c in t.columns[1:]))
            if t:
                col = rng.choice([c for c in t.columns[1:] if not c.used])
                t.columns.remove(col)
        elif kind == "alter_type":
            t = pick(lambda t: retypable(t))
            if t:
                col = rng.choice(retypable(t))
                if col.type == "integer":
                    col.type = "bigint"
                elif col.type.startswith("varchar"):
                    col.type = f"varchar({int(col.type[8:-1]) + 100})"
                else:
                    p, s = col.type[8:-1].split(",")
                    col.type = f"numeric({int(p) + 4},{s})"
        elif kind == "add_index":
            t = pick(lambda t: len(t.columns) > 2)
            before = len(t.indexes)
            while len(t.indexes) == before:
                add_random_index(rng, t)
        elif kind == "drop_index":
            t = pick(lambda t: t.indexes)
            if t:
                t.indexes.remove(rng.choice(t.indexes))
        elif kind == "add_check":
            t = pick(lambda t: any(c.type in ("integer", "bigint") or c.type.startswith("numeric") for c in t.columns[1:]))
            if t:
                col = rng.choice([c for c in t.columns[1:] if c.type in ("integer", "bigint") or c.type.startswith("numeric")])
                t.checks.append((t.fresh("ck"), f"{col.name} < 1000000000"))
        elif kind == "add_table":
            new = make_table(rng, tables, next_index)
            next_index += 1
            added.append(new)
        elif kind == "drop_table":
            t = pick(lambda t: not t.referenced)
            if t:
                dropped.add(t.index)
    return [t for t in tables if t.index not in dropped] + added


# ---------------------------------------------------------------------------------------
# Views, functions and triggers. They are made after the tables, from their own random
# stream, and only use tables and columns that variant b keeps (so the tables come out as
# with --no-objects, apart from the checks and defaults that call functions).

def col_family(type_):
    """What a value of a column type can be passed to: text, int, numeric, ts, bool, ..."""
    if type_ == "text" or type_.startswith("varchar"):
        return "text"
    if type_ in ("integer", "bigint", "serial"):
        return "int"
    if type_.startswith("numeric"):
        return "numeric"
    if type_ == "timestamp with time zone":
        return "ts"
    if type_ == "boolean":
        return "bool"
    if type_ in ("jsonb", "date"):
        return type_
    for schema, (type_name, _) in ENUMS.items():
        if type_ == q(schema, type_name):
            return "enum:" + schema
    return "other"


def plpgsql(*lines, declare=()):
    out = (["DECLARE"] + ["    " + d for d in declare]) if declare else []
    return "\n".join(out + ["BEGIN"] + ["    " + line for line in lines] + ["END"])


RETURN_ROW = ("IF TG_OP = 'DELETE' THEN", "    RETURN OLD;", "END IF;", "RETURN NEW;")

# Helpers that views call on a column: (stem, families of the first argument, parameters,
# result, language, volatility, options, body, changed body, literal for a second argument).
# "ENUM" stands for the enum type of the function's schema.
HELPERS = [
    ("norm", {"text"}, [("v", "text", None)], "text", "sql", "IMMUTABLE", "STRICT PARALLEL SAFE",
     "SELECT lower(btrim(v))", "SELECT upper(btrim(v))", None),
    ("clip", {"text"}, [("v", "text", None), ("max_len", "integer", "24")], "text", "sql", "IMMUTABLE", "",
     "SELECT substr(v, 1, max_len)", "SELECT substr(btrim(v), 1, max_len)", "16"),
    ("pad", {"int"}, [("v", "bigint", None), ("width", "integer", "10")], "text", "sql", "IMMUTABLE", "STRICT",
     "SELECT lpad(v::text, width, '0')", "SELECT lpad(v::text, width, ' ')", "8"),
    ("gross", {"int", "numeric"}, [("v", "numeric", None), ("rate", "numeric", "1.19")], "numeric", "sql",
     "IMMUTABLE", "PARALLEL SAFE", "SELECT round(v * rate, 2)", "SELECT round(v * rate, 4)", "1.07"),
    ("clamp", {"int", "numeric"}, [("v", "numeric", None), ("lo", "numeric", "0"), ("hi", "numeric", "1000000")],
     "numeric", "plpgsql", "IMMUTABLE", "",
     plpgsql("IF v IS NULL THEN", "    RETURN NULL;", "END IF;", "RETURN greatest(lo, least(hi, v));"),
     plpgsql("IF v IS NULL THEN", "    RETURN NULL;", "END IF;", "RETURN greatest(lo, least(hi, round(v, 2)));"),
     "-1"),
    ("month_of", {"ts"}, [("v", "timestamp with time zone", None)], "text", "sql", "STABLE", "",
     "SELECT to_char(v, 'YYYY-MM')", "SELECT to_char(v, 'IYYY-IW')", None),
    ("age_days", {"ts"}, [("v", "timestamp with time zone", None), ("p_at", "timestamp with time zone", "now()")],
     "integer", "sql", "STABLE", "", "SELECT extract(day FROM p_at - v)::integer",
     "SELECT floor(extract(epoch FROM p_at - v) / 86400)::integer", None),
    ("yes_no", {"bool"}, [("v", "boolean", None)], "text", "sql", "IMMUTABLE", "",
     "SELECT CASE WHEN v THEN 'yes' ELSE 'no' END", "SELECT CASE WHEN v THEN 'Y' ELSE 'N' END", None),
    ("jfield", {"jsonb"}, [("v", "jsonb", None), ("p_key", "text", "'name'")], "text", "sql", "IMMUTABLE", "",
     "SELECT v ->> p_key", "SELECT coalesce(v ->> p_key, '')", "'code'"),
    ("quarter_of", {"date"}, [("v", "date", None)], "integer", "sql", "IMMUTABLE", "",
     "SELECT extract(quarter FROM v)::integer", "SELECT (extract(month FROM v)::integer + 2) / 3", None),
    ("label_of", {"ENUM"}, [("v", "ENUM", None)], "text", "sql", "IMMUTABLE", "",
     "SELECT initcap(v::text)", "SELECT upper(v::text)", None),
]

# Functions nothing else uses (the ones variant b may give another parameter).
UTILITIES = [
    ("fmt_money", [("amount", "numeric", None), ("currency", "text", "'EUR'")], "text", "sql", "IMMUTABLE", "",
     "SELECT currency || ' ' || to_char(amount, 'FM999999990.00')",
     "SELECT to_char(amount, 'FM999G999G990D00') || ' ' || currency"),
    ("business_days", [("d1", "date", None), ("d2", "date", "CURRENT_DATE")], "integer", "sql", "STABLE", "",
     "SELECT count(*)::integer FROM generate_series(d1, d2, interval '1 day') AS g(day) WHERE extract(isodow FROM g.day) < 6",
     "SELECT count(*)::integer FROM generate_series(d1, d2 - 1, interval '1 day') AS g(day) WHERE extract(isodow FROM g.day) < 6"),
    ("slug", [("v", "text", None)], "text", "plpgsql", "IMMUTABLE", "STRICT",
     plpgsql("RETURN regexp_replace(lower(v), '[^a-z0-9]+', '-', 'g');"),
     plpgsql("RETURN btrim(regexp_replace(lower(v), '[^a-z0-9]+', '-', 'g'), '-');")),
    ("next_version", [("v", "integer", "0")], "integer", "sql", "IMMUTABLE", "PARALLEL SAFE",
     "SELECT v + 1", "SELECT coalesce(v, 0) + 1"),
    ("is_weekend", [("d", "timestamp with time zone", "now()")], "boolean", "sql", "STABLE", "",
     "SELECT extract(isodow FROM d) >= 6", "SELECT extract(isodow FROM d) IN (6, 7)"),
    ("key_count", [("v", "jsonb", None)], "integer", "plpgsql", "IMMUTABLE", "STRICT",
     plpgsql("SELECT count(*) INTO n FROM jsonb_object_keys(v);", "RETURN n;", declare=["n integer;"]),
     plpgsql("IF jsonb_typeof(v) <> 'object' THEN", "    RETURN 0;", "END IF;",
             "SELECT count(*) INTO n FROM jsonb_object_keys(v);", "RETURN n;", declare=["n integer;"])),
    ("random_code", [("len", "integer", "8")], "text", "sql", "VOLATILE", "",
     "SELECT substr(md5(random()::text), 1, len)", "SELECT upper(substr(md5(random()::text), 1, len))"),
    ("percent_of", [("part", "numeric", None), ("whole", "numeric", None), ("digits", "integer", "1")], "numeric",
     "sql", "IMMUTABLE", "", "SELECT round(100 * part / nullif(whole, 0), digits)",
     "SELECT round(100.0 * part / nullif(whole, 0), digits)"),
    ("stamp", [("p_label", "text", None)], "text", "plpgsql", "VOLATILE",
     "SECURITY DEFINER SET search_path = pg_catalog",
     plpgsql("RETURN p_label || '@' || to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS');"),
     plpgsql("RETURN p_label || '@' || to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS');")),
]

# Functions a table uses in a CHECK constraint or a column DEFAULT: (stem, use, column
# filter, parameters, result, language, volatility, options, body, changed body).
TABLE_FUNCTIONS = [
    ("check_nonneg", "check", lambda c: col_family(c.type) in ("int", "numeric"), [("v", "numeric", None)],
     "boolean", "sql", "IMMUTABLE", "PARALLEL SAFE", "SELECT v IS NULL OR v >= 0",
     "SELECT v IS NULL OR (v >= 0 AND v < 1e15)"),
    ("default_ref", "default", lambda c: c.type == "text", [("prefix", "text", "'REF'")], "text", "sql",
     "VOLATILE", "", "SELECT prefix || '-' || substr(md5(random()::text), 1, 12)",
     "SELECT prefix || '-' || substr(md5(clock_timestamp()::text), 1, 12)"),
    ("check_length", "check", lambda c: col_family(c.type) == "text", [("v", "text", None)], "boolean",
     "plpgsql", "IMMUTABLE", "", plpgsql("RETURN v IS NULL OR length(v) <= 4000;"),
     plpgsql("RETURN v IS NULL OR length(v) <= 8000;")),
    ("default_rank", "default", lambda c: c.type in ("integer", "bigint"), [], "integer", "sql", "VOLATILE", "",
     "SELECT (random() * 1000)::integer", "SELECT (random() * 10000)::integer"),
]

TRIGGER_FUNCTIONS = [
    ("notify_change",
     plpgsql("PERFORM pg_notify('drover_bench', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ' ' || TG_OP);", *RETURN_ROW),
     plpgsql("PERFORM pg_notify('drover_bench_changes', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ' ' || TG_OP);",
             *RETURN_ROW)),
    ("touch_created",
     plpgsql("IF TG_OP = 'INSERT' AND to_jsonb(NEW) ? 'created_at' THEN",
             "    NEW := jsonb_populate_record(NEW, jsonb_build_object('created_at', now()));", "END IF;", *RETURN_ROW),
     plpgsql("IF TG_OP = 'INSERT' AND to_jsonb(NEW) ? 'created_at' THEN",
             "    NEW := jsonb_populate_record(NEW, jsonb_build_object('created_at', clock_timestamp()));", "END IF;",
             *RETURN_ROW)),
    ("require_field",
     plpgsql("IF TG_OP <> 'DELETE' AND TG_NARGS > 0 AND to_jsonb(NEW) -> TG_ARGV[0] = 'null'::jsonb THEN",
             "    RAISE EXCEPTION '%.%: % is required', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0];", "END IF;",
             *RETURN_ROW),
     plpgsql("IF TG_OP <> 'DELETE' AND TG_NARGS > 0 AND to_jsonb(NEW) -> TG_ARGV[0] = 'null'::jsonb THEN",
             "    RAISE EXCEPTION '%.%: % is required', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0]",
             "        USING ERRCODE = 'not_null_violation';", "END IF;", *RETURN_ROW)),
    ("remember_op",
     plpgsql("PERFORM set_config('drover_bench.last_op', TG_TABLE_NAME || ':' || TG_OP, true);", *RETURN_ROW),
     plpgsql("PERFORM set_config('drover_bench.last_op', TG_TABLE_NAME || ':' || TG_WHEN || ' ' || TG_OP, true);",
             *RETURN_ROW)),
]


class Function:
    def __init__(self, schema, name, params, returns, language, volatility, options, body, body_b,
                 role, procedure=False):
        self.schema = schema
        self.name = name
        self.params = list(params)  # (name, type, default or None)
        self.returns = returns
        self.language = language
        self.volatility = volatility
        self.options = options
        self.body = body
        self.body_b = body_b  # the body variant b may switch to
        self.role = role  # table, trigger, helper, util, proc, setof
        self.procedure = procedure
        self.table = None  # index of the table the body reads (emitted after the tables)
        self.accepts = set()  # helpers: families of the first argument
        self.extra_arg = None  # helpers: a literal for the second argument
        self.comment = None

    @property
    def qname(self):
        return q(self.schema, self.name)

    def signature(self):
        return f"{self.qname}({', '.join(p[1] for p in self.params)})"

    def sql(self):
        params = ", ".join(f"{n} {t}" + (f" DEFAULT {d}" if d is not None else "") for n, t, d in self.params)
        if self.procedure:
            head = f"CREATE PROCEDURE {self.qname}({params})\n    LANGUAGE {self.language}"
        else:
            attrs = " ".join(a for a in (self.language, self.volatility, self.options) if a)
            head = f"CREATE FUNCTION {self.qname}({params}) RETURNS {self.returns}\n    LANGUAGE {attrs}"
        body = f"\n{self.body}\n" if "\n" in self.body else self.body
        out = f"{head}\n    AS $${body}$$;\n"
        if self.comment:
            out += f"COMMENT ON {'PROCEDURE' if self.procedure else 'FUNCTION'} {self.signature()} IS '{self.comment}';\n"
        return out


class Item:
    """A column of a view: an expression and the name it gets."""

    def __init__(self, expr, alias, fam, src=None):
        self.expr = expr
        self.alias = alias
        self.fam = fam
        self.src = src  # (table index, column) when the item is just that table column

    def sql(self):
        return self.expr if self.expr.endswith(f".{self.alias}") else f"{self.expr} AS {self.alias}"


class View:
    def __init__(self, schema, name, kind, materialized):
        self.schema = schema
        self.name = name
        self.kind = kind  # single, join, agg, chain, fn
        self.materialized = materialized
        self.items = []
        self.from_sql = ""
        self.where = None
        self.group_by = None
        self.table = None  # the driving table's index (single, join, agg)
        self.alias = None  # its alias in FROM
        self.base = None  # the view a chain view reads
        self.depth = 1
        self.security_barrier = False
        self.check_option = None  # LOCAL / CASCADED
        self.index = None  # (name, column, unique) on a materialized view
        self.comment = None

    @property
    def qname(self):
        return q(self.schema, self.name)

    def sql(self):
        kind = "MATERIALIZED VIEW" if self.materialized else "VIEW"
        options = " WITH (security_barrier)" if self.security_barrier else ""
        lines = [f"CREATE {kind} {self.qname}{options} AS",
                 "    SELECT " + ", ".join(i.sql() for i in self.items), f"    FROM {self.from_sql}"]
        if self.where:
            lines.append(f"    WHERE {self.where}")
        if self.group_by:
            lines.append(f"    GROUP BY {self.group_by}")
        if self.check_option:
            lines.append(f"    WITH {self.check_option} CHECK OPTION")
        out = "\n".join(lines) + ";\n"
        if self.index:
            name, col, unique = self.index
            out += f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {self.qname} ({col});\n"
        if self.comment:
            out += f"COMMENT ON {kind} {self.qname} IS '{self.comment}';\n"
        return out


class Trigger:
    def __init__(self, name, table, timing, events, level, fn, when=None, args=(), constraint=False):
        self.name = name
        self.table = table.index
        self.table_qname = table.qname
        self.timing = timing
        self.events = events
        self.level = level
        self.fn = fn
        self.when = when
        self.args = list(args)
        self.constraint = constraint
        self.disabled = False
        self.cols = set()  # columns in UPDATE OF or WHEN

    def sql(self):
        args = ", ".join(f"'{a}'" for a in self.args)
        if self.constraint:
            head = (f"CREATE CONSTRAINT TRIGGER {self.name} {self.timing} {self.events} ON {self.table_qname}\n"
                    f"    DEFERRABLE INITIALLY DEFERRED\n    FOR EACH ROW")
        else:
            head = f"CREATE TRIGGER {self.name} {self.timing} {self.events} ON {self.table_qname}\n    FOR EACH {self.level}"
        when = f"\n    WHEN ({self.when})" if self.when else ""
        out = f"{head}{when}\n    EXECUTE FUNCTION {self.fn.qname}({args});\n"
        if self.disabled:
            out += f"ALTER TABLE {self.table_qname} DISABLE TRIGGER {self.name};\n"
        return out


class Objects:
    def __init__(self):
        self.functions = []
        self.views = []
        self.triggers = []
        self.hooks = []  # (kind, table index, column, name, value): checks, defaults, retypes
        self.counter = 0

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}_{self.counter:04d}"

    def role(self, role):
        return [f for f in self.functions if f.role == role]

    def dependents(self, view):
        return [v for v in self.views if v.base is view]

    def apply_hooks(self, tables):
        by_index = {t.index: t for t in tables}
        for kind, index, col, name, value in self.hooks:
            t = by_index[index]
            if kind == "check":
                t.checks.append((name, value))
            elif kind == "default":
                t.column(col).default = value
            else:
                t.column(col).type = value


def word(name):
    return name.split("_")[0]


def helper_item(rng, objs, view, items):
    """Adds a column calling a helper function on one of `items`, when one fits."""
    pairs = [(i, h) for i in items for h in objs.role("helper") if i.fam in h.accepts]
    if not pairs:
        return
    item, h = rng.choice(pairs)
    args = item.expr + (f", {h.extra_arg}" if h.extra_arg and rng.random() < 0.3 else "")
    alias = f"{h.name.rsplit('_', 1)[0]}_{item.alias}"
    while any(i.alias == alias for i in view.items):
        alias += "_x"
    view.items.append(Item(f"{h.qname}({args})", alias, "other"))


def table_items(t, alias, cols, prefix=""):
    return [Item(f"{alias}.{c.name}", prefix + c.name, col_family(c.type), (t.index, c.name)) for c in cols]


def pick_columns(rng, t, alive, low, high):
    cands = [c for c in t.columns if c.name != "id" and c.name in alive[t.index]]
    cols = rng.sample(cands, min(len(cands), rng.randint(low, high)))
    return sorted(cols, key=t.columns.index)


def single_view(rng, objs, t, alive, materialized):
    v = View(t.schema, objs.fresh(f"{'mv' if materialized else 'v'}_{word(t.name)}"), "single", materialized)
    v.table, v.alias = t.index, "t"
    v.items = table_items(t, "t", [t.column("id")]) + table_items(t, "t", pick_columns(rng, t, alive, 2, 5))
    v.from_sql = f"{t.qname} t"
    if rng.random() < 0.5:
        helper_item(rng, objs, v, v.items[1:])
    if rng.random() < 0.3:
        cols = [c for c in t.columns if c.name != "id" and c.name in alive[t.index]]
        bools = [c for c in cols if c.type == "boolean"]
        if bools:
            v.where = f"t.{rng.choice(bools).name}"
        elif cols:
            v.where = f"t.{rng.choice(cols).name} IS NOT NULL"
    if not materialized and rng.random() < 0.3:
        v.check_option = rng.choice(["LOCAL", "CASCADED"])
    return v


def join_view(rng, objs, t, alive, materialized):
    """`t` joined with the table one of its foreign keys points to."""
    _, col, target, _ = rng.choice([fk for fk in t.fks if fk[2].index in alive])
    v = View(t.schema, objs.fresh(f"{'mv' if materialized else 'v'}_{word(t.name)}_{word(target.name)}"),
             "join", materialized)
    v.table, v.alias = t.index, "a"
    v.items = (table_items(t, "a", [t.column("id")]) + table_items(t, "a", pick_columns(rng, t, alive, 1, 3))
               + [Item("b.id", "ref_id", col_family(target.pk_type), (target.index, "id"))]
               + table_items(target, "b", pick_columns(rng, target, alive, 1, 2), "ref_"))
    join = "JOIN" if rng.random() < 0.6 else "LEFT JOIN"
    v.from_sql = f"{t.qname} a {join} {target.qname} b ON b.id = a.{col}"
    if rng.random() < 0.3:
        helper_item(rng, objs, v, v.items[1:])
    return v


def agg_view(rng, objs, t, alive, materialized):
    """Rows of `t` counted per foreign key, or per boolean, enum or date column."""
    keys = [t.column(fk[1]) for fk in t.fks if fk[2].index in alive]
    keys += [c for c in t.columns if c.name in alive[t.index] and (
        c.type in ("boolean", "date") or col_family(c.type).startswith("enum"))]
    if not keys:
        return None
    key = rng.choice(keys)
    v = View(t.schema, objs.fresh(f"{'mv' if materialized else 'v'}_{word(t.name)}_per_{word(key.name)}"),
             "agg", materialized)
    v.table, v.alias = t.index, "t"
    v.items = table_items(t, "t", [key]) + [Item("count(*)", "row_count", "int")]
    nums = [c for c in t.columns if c.name in alive[t.index] and c.name != "id" and c is not key
            and col_family(c.type) in ("int", "numeric")]
    if nums:
        c = rng.choice(nums)
        v.items.append(Item(f"sum(t.{c.name})", f"total_{c.name}", "numeric"))
    v.from_sql = f"{t.qname} t"
    v.group_by = f"t.{key.name}"
    return v


def chain_view(rng, objs, base, materialized):
    """A view on a view."""
    v = View(rng.choice(SCHEMAS), objs.fresh(f"{'mv' if materialized else 'v'}_{word(base.name[base.name.index('_') + 1:])}"),
             "chain", materialized)
    v.base, v.depth = base, base.depth + 1
    rest = base.items[1:]
    picked = sorted(rng.sample(rest, min(len(rest), rng.randint(1, 4))), key=base.items.index)
    v.items = [Item(f"v.{i.alias}", i.alias, i.fam) for i in [base.items[0]] + picked]
    v.from_sql = f"{base.qname} v"
    if rng.random() < 0.4:
        helper_item(rng, objs, v, v.items[1:])
    if rng.random() < 0.4 and picked:
        v.where = f"v.{rng.choice(picked).alias} IS NOT NULL"
    return v


def function_view(rng, objs, fn, tables_by_index, alive, materialized):
    """A view reading a set- or table-returning function."""
    t = tables_by_index[fn.table]
    v = View(fn.schema, objs.fresh(f"{'mv' if materialized else 'v'}_{word(t.name)}_fn"), "fn", materialized)
    if fn.returns.startswith("TABLE"):
        v.items = [Item("f.row_id", "row_id", col_family(t.pk_type)), Item("f.label", "label", "text")]
        v.from_sql = f"{fn.qname}() f"
    else:
        v.items = [Item(f"f.{c.name}", c.name, col_family(c.type))
                   for c in [t.column("id")] + pick_columns(rng, t, alive, 1, 3)]
        v.from_sql = f"{fn.qname}({rng.choice([10, 20, 100])}) f"
    return v


def make_view(rng, objs, kind, tables, alive, materialized):
    """A view of the kind, or a single-table view when the kind does not fit."""
    live = [t for t in tables if t.index in alive]
    v = None
    if kind == "chain":
        bases = [b for b in objs.views if b.depth < 3]
        deep = [b for b in bases if b.depth == 2]
        if bases:
            v = chain_view(rng, objs, rng.choice(deep if deep and rng.random() < 0.5 else bases), materialized)
    elif kind == "join":
        fk_tables = [t for t in live if any(fk[2].index in alive for fk in t.fks)]
        if fk_tables:
            v = join_view(rng, objs, rng.choice(fk_tables), alive, materialized)
    elif kind == "agg":
        v = agg_view(rng, objs, rng.choice(live), alive, materialized)
    elif kind == "fn":
        fns = [f for f in objs.functions if f.role == "setof" and not f.procedure]
        if fns:
            v = function_view(rng, objs, rng.choice(fns), {t.index: t for t in tables}, alive, materialized)
    if v is None:
        v = single_view(rng, objs, rng.choice(live), alive, materialized)
    if materialized:
        v.index = (f"ix_{v.name}", v.items[0].alias, rng.random() < 0.7)
    elif rng.random() < 0.15:
        v.security_barrier = True
    if rng.random() < 0.25:
        v.comment = f"{v.kind} view {v.name}"
    return v


def when_clause(rng, cols, update_only):
    """A trigger WHEN condition on one of `cols`, and the column it reads."""
    c = rng.choice(cols)
    if update_only:
        return f"OLD.{c.name} IS DISTINCT FROM NEW.{c.name}", c.name
    if c.type == "boolean" and rng.random() < 0.5:
        return f"NEW.{c.name}", c.name
    return f"NEW.{c.name} IS NOT NULL", c.name


def make_trigger(rng, objs, t, cols, kind):
    """A trigger of the kind on `t`; WHEN and UPDATE OF only read `cols`."""
    fns = objs.role("trigger")
    fn = rng.choice(fns)
    name = objs.fresh(f"trg_{word(t.name)}")
    if kind == "constraint":
        required = [f for f in fns if f.name.startswith("require_field")]
        fn = rng.choice(required) if required else fn
        tr = Trigger(name, t, "AFTER", rng.choice(["INSERT", "INSERT OR UPDATE"]), "ROW", fn, constraint=True)
        if fn.name.startswith("require_field"):
            tr.args = ["id"]
        return tr
    if kind == "before_update_when" and cols:
        when, col = when_clause(rng, cols, True)
        tr = Trigger(name, t, "BEFORE", "UPDATE", "ROW", fn, when)
        tr.cols.add(col)
    elif kind == "before_update_of" and cols:
        of = sorted(rng.sample(cols, min(len(cols), rng.randint(1, 2))), key=t.columns.index)
        tr = Trigger(name, t, "BEFORE", "UPDATE OF " + ", ".join(c.name for c in of), "ROW", fn)
        tr.cols.update(c.name for c in of)
    elif kind == "after_statement":
        events = rng.choice(["INSERT OR UPDATE OR DELETE", "INSERT", "DELETE OR TRUNCATE", "UPDATE"])
        tr = Trigger(name, t, "AFTER", events, "STATEMENT", fn)
    elif kind == "after_row":
        tr = Trigger(name, t, "AFTER", rng.choice(["DELETE", "INSERT OR DELETE"]), "ROW", fn)
    else:
        tr = Trigger(name, t, "BEFORE", "INSERT OR UPDATE", "ROW", fn)
        if cols and rng.random() < 0.4:
            tr.when, col = when_clause(rng, cols, False)
            tr.cols.add(col)
    if fn.name.startswith("require_field") and rng.random() < 0.7:
        tr.args = [rng.choice(cols).name if cols else "id"]
    return tr


TRIGGER_KINDS = ["before_row", "before_update_when", "before_update_of", "after_statement", "after_row"]
TRIGGER_WEIGHTS = [40, 15, 10, 25, 10]
VIEW_KINDS = ["single", "join", "chain", "agg", "fn"]
VIEW_WEIGHTS = [33, 27, 22, 10, 8]


def make_objects(rng, tables, future, n):
    """Views, functions and triggers for the base tables. `future` is the variant-b table
    list: the objects only touch tables and columns it keeps, and put WHEN clauses, UPDATE
    OF lists and function checks and defaults only on columns whose type it keeps."""
    objs = Objects()
    n_views, n_functions, n_triggers = n // 10, n // 20, n // 50
    if n >= 50:
        n_views, n_functions, n_triggers = max(1, n_views), max(1, n_functions), max(1, n_triggers)
    kept = {t.index: {c.name: c.type for c in t.columns} for t in future}
    alive = {t.index: {c.name for c in t.columns if c.name in kept[t.index]} for t in tables if t.index in kept}
    same = {t.index: {c.name for c in t.columns if kept[t.index].get(c.name) == c.type}
            for t in tables if t.index in kept}
    live = [t for t in tables if t.index in alive]
    if not live:
        return objs

    n_trigger_fns = max(1, min(n_triggers, n_functions // 6)) if n_triggers else 0
    n_table_fns = min(max(1, n // 200) if n >= 50 else 0, n_functions - n_trigger_fns)
    rest = n_functions - n_trigger_fns - n_table_fns
    n_procedures = min(2, rest // 10)
    rest -= n_procedures
    n_helpers = (rest * 2 + 4) // 5
    n_setof = rest // 4
    n_utilities = rest - n_helpers - n_setof

    def function(template_schema, stem, *rest_args, role, procedure=False):
        fn = Function(template_schema, objs.fresh(stem), *rest_args, role=role, procedure=procedure)
        if rng.random() < 0.3:
            fn.comment = f"{stem.replace('_', ' ')} ({role})"
        objs.functions.append(fn)
        return fn

    # Functions used in a CHECK or DEFAULT, each on its own table.
    hooked = set()
    for i in range(n_table_fns):
        stem, use, fits, params, returns, lang, vol, opts, body, body_b = TABLE_FUNCTIONS[i % len(TABLE_FUNCTIONS)]
        fn = function(rng.choice(SCHEMAS), stem, params, returns, lang, vol, opts, body, body_b, role="table")
        order = live[:]
        rng.shuffle(order)
        for t in order:
            fk_cols = {fk[1] for fk in t.fks}
            cols = [c for c in t.columns if c.name != "id" and c.name not in fk_cols
                    and c.name in same[t.index] and fits(c)]
            if t.index in hooked or not cols:
                continue
            c = rng.choice(cols)
            hooked.add(t.index)
            if use == "check":
                objs.hooks.append(("check", t.index, c.name, f"ck_{t.name}_{fn.name}", f"{fn.qname}({c.name})"))
            else:
                arg = f"'{c.name[:3].upper()}'" if params else ""
                objs.hooks.append(("default", t.index, c.name, None, f"{fn.qname}({arg})"))
            break

    for i in range(n_trigger_fns):
        stem, body, body_b = TRIGGER_FUNCTIONS[i % len(TRIGGER_FUNCTIONS)]
        function(rng.choice(SCHEMAS), stem, [], "trigger", "plpgsql", "VOLATILE", "", body, body_b, role="trigger")

    helpers = HELPERS[:]
    rng.shuffle(helpers)
    for i in range(n_helpers):
        stem, accepts, params, returns, lang, vol, opts, body, body_b, extra = helpers[i % len(helpers)]
        schema = rng.choice(SCHEMAS)
        enum = q(schema, ENUMS[schema][0])
        params = [(p, enum if t == "ENUM" else t, d) for p, t, d in params]
        fn = function(schema, stem, params, returns, lang, vol, opts, body, body_b, role="helper")
        fn.accepts = {f"enum:{schema}" if a == "ENUM" else a for a in accepts}
        fn.extra_arg = extra

    utilities = UTILITIES[:]
    rng.shuffle(utilities)
    for i in range(n_utilities):
        stem, params, returns, lang, vol, opts, body, body_b = utilities[i % len(utilities)]
        function(rng.choice(SCHEMAS), stem, params, returns, lang, vol, opts, body, body_b, role="util")

    if n_procedures >= 1:
        function(rng.choice(SCHEMAS), "log_event", [("p_message", "text", None), ("p_level", "text", "'info'")],
                 None, "plpgsql", None, None, plpgsql("RAISE NOTICE '%: %', p_level, p_message;"),
                 plpgsql("RAISE LOG '%: %', p_level, p_message;"), role="proc", procedure=True)
    for _ in range(n_procedures - 1):
        t = rng.choice(live)
        fn = function(t.schema, f"purge_{word(t.name)}", [("p_id", t.pk_type, None)], None, "sql", None, None,
                      f"DELETE FROM {t.qname} WHERE id = p_id",
                      f"DELETE FROM {t.qname} WHERE id = p_id AND p_id IS NOT NULL", role="proc", procedure=True)
        fn.table = t.index

    # Set- and table-returning functions over a table (emitted after the tables); views
    # read the two kinds that need no argument.
    for i in range(n_setof):
        t = rng.choice(live)
        kind = ["rows_by_id", "recent", "labels"][i % 3]
        if kind == "rows_by_id":
            fn = function(t.schema, f"{word(t.name)}_by_id", [("p_id", t.pk_type, None)], f"SETOF {t.qname}", "sql",
                          "STABLE", "", f"SELECT * FROM {t.qname} WHERE id = p_id",
                          f"SELECT * FROM {t.qname} WHERE id = p_id LIMIT 1", role="setof_key")
        elif kind == "recent":
            fn = function(t.schema, f"recent_{word(t.name)}", [("p_limit", "integer", "50")], f"SETOF {t.qname}",
                          "plpgsql", "STABLE", "",
                          plpgsql(f"RETURN QUERY SELECT * FROM {t.qname} ORDER BY id DESC LIMIT p_limit;"),
                          plpgsql(f"RETURN QUERY SELECT * FROM {t.qname} ORDER BY id DESC LIMIT greatest(p_limit, 1);"),
                          role="setof")
        else:
            cols = pick_columns(rng, t, alive, 1, 1)
            label = f"t.{cols[0].name}::text" if cols else "t.id::text"
            fn = function(t.schema, f"{word(t.name)}_labels", [("p_limit", "integer", "100")],
                          f"TABLE(row_id {t.pk_type}, label text)", "sql", "STABLE", "",
                          f"SELECT t.id, {label} FROM {t.qname} t ORDER BY t.id LIMIT p_limit",
                          f"SELECT t.id, {label} FROM {t.qname} t ORDER BY t.id DESC LIMIT p_limit", role="setof")
        fn.table = t.index

    materialized = set(rng.sample(range(n_views), max(1, n_views // 10))) if n_views >= 5 else set()
    for i in range(n_views):
        kind = rng.choices(VIEW_KINDS, VIEW_WEIGHTS)[0]
        objs.views.append(make_view(rng, objs, kind, tables, alive, i in materialized))

    if n_triggers and n_trigger_fns:
        n_constraint = 0 if n_triggers < 3 else 1 if n_triggers < 20 else 2
        constraint = set(rng.sample(range(n_triggers), n_constraint))
        for i in range(n_triggers):
            t = rng.choice(live)
            cols = [c for c in t.columns if c.name != "id" and c.name in same[t.index]]
            kind = "constraint" if i in constraint else rng.choices(TRIGGER_KINDS, TRIGGER_WEIGHTS)[0]
            objs.triggers.append(make_trigger(rng, objs, t, cols, kind))
        plain = [tr for tr in objs.triggers if not tr.constraint]
        for tr in rng.sample(plain, min(len(plain), n_constraint)):
            tr.disabled = True
    return objs


def mutate_objects(rng, objs, tables):
    """About 5% of the views, functions and triggers changed, for the variant-b `tables`;
    each kind of change at least once when there is something to change."""
    by_index = {t.index: t for t in tables}
    alive = {t.index: {c.name for c in t.columns} for t in tables}
    required = ["retype_view_column", "view_add_column", "view_change_type", "view_change_type", "drop_view",
                "add_view", "function_body", "function_body", "function_signature", "drop_trigger",
                "add_trigger", "trigger_when"]
    extra = (["view_add_column"] * 3 + ["function_body"] * 3 + ["drop_view"] * 2 + ["add_view"] * 2
             + ["view_change_type", "function_signature", "drop_trigger", "add_trigger", "trigger_when",
                "retype_view_column"])
    total = len(objs.functions) + len(objs.views) + len(objs.triggers)
    changed = max(len(required), round(total * 0.05))
    kinds = required + [extra[i % len(extra)] for i in range(changed - len(required))]
    touched = set()  # ids of objects already changed

    def pick(items, cond=lambda x: True):
        candidates = [x for x in items if id(x) not in touched and cond(x)]
        if not candidates:
            return None
        x = rng.choice(candidates)
        touched.add(id(x))
        return x

    hooked = {(h[1], h[2]) for h in objs.hooks}
    for kind in kinds:
        if kind == "retype_view_column":
            # A table column a view selects becomes bigint or text: the view has to go
            # before the ALTER COLUMN ... TYPE and come back after it.
            def retypable_items(v):
                out = []
                for i in v.items:
                    if not i.src or i.src[0] not in by_index or i.src[1] == "id":
                        continue
                    t = by_index[i.src[0]]
                    col = next((c for c in t.columns if c.name == i.src[1]), None)
                    if (col is None or not (col.type == "integer" or col.type.startswith("varchar"))
                            or col.name in {fk[1] for fk in t.fks} or (t.index, col.name) in hooked
                            or any(tr.table == t.index and col.name in tr.cols for tr in objs.triggers)):
                        continue
                    out.append((t, col))
                return out
            v = pick(objs.views, lambda v: not v.materialized and retypable_items(v)) or pick(objs.views, retypable_items)
            if v:
                t, col = rng.choice(retypable_items(v))
                new_type = "bigint" if col.type == "integer" else "text"
                objs.hooks.append(("retype", t.index, col.name, None, new_type))
                hooked.add((t.index, col.name))
        elif kind == "view_add_column":
            def unselected(v):
                t = by_index.get(v.table)
                taken = {i.src[1] for i in v.items if i.src and i.src[0] == v.table}
                return [c for c in t.columns if c.name not in taken] if t else []
            v = pick(objs.views, lambda v: v.kind in ("single", "join") and unselected(v))
            if v:
                c = rng.choice(unselected(v))
                alias = c.name
                while any(i.alias == alias for i in v.items):
                    alias += "_x"
                v.items.append(Item(f"{v.alias}.{c.name}", alias, col_family(c.type), (v.table, c.name)))
        elif kind == "view_change_type":
            # An existing column becomes text: CREATE OR REPLACE VIEW cannot do that.
            def changeable(v):
                return [i for i in v.items[1:] if i.fam != "text"]
            v = pick(objs.views, lambda v: v.kind != "agg" and not objs.dependents(v) and changeable(v))
            if v:
                item = rng.choice(changeable(v))
                item.expr, item.fam, item.src = f"({item.expr})::text", "text", None
        elif kind == "drop_view":
            v = pick(objs.views, lambda v: not objs.dependents(v))
            if v:
                objs.views.remove(v)
        elif kind == "add_view":
            if tables:
                v = make_view(rng, objs, rng.choice(["single", "join", "chain"]), tables, alive, False)
                objs.views.append(v)
                touched.add(id(v))
        elif kind == "function_body":
            fn = pick(objs.functions)
            if fn:
                fn.body = fn.body_b
        elif kind == "function_signature":
            # Only functions nothing depends on; the new parameter has a default.
            fn = pick(objs.functions, lambda f: f.role in ("util", "proc"))
            if fn:
                fn.params.append(("p_extra", "integer", "0"))
        elif kind == "drop_trigger":
            tr = pick(objs.triggers)
            if tr:
                objs.triggers.remove(tr)
        elif kind == "add_trigger":
            if tables and objs.role("trigger"):
                t = rng.choice(tables)
                tr = make_trigger(rng, objs, t, [c for c in t.columns if c.name != "id"],
                                  rng.choices(TRIGGER_KINDS, TRIGGER_WEIGHTS)[0])
                objs.triggers.append(tr)
                touched.add(id(tr))
        elif kind == "trigger_when":
            tr = pick(objs.triggers, lambda tr: tr.when) or pick(
                objs.triggers, lambda tr: tr.level == "ROW" and not tr.constraint and tr.timing == "BEFORE")
            if tr:
                t = by_index[tr.table]
                cols = [c for c in t.columns if c.name != "id"]
                old = tr.when
                for _ in range(10):
                    if not cols or tr.when != old:
                        break
                    tr.when, col = when_clause(rng, cols, tr.events.startswith("UPDATE"))
                if tr.when == old:
                    tr.when = f"NOT ({old})" if old else "NEW.id IS NOT NULL"


def emit(tables, out, objects=None):
    w = out.write
    w("-- generated by scripts/bench_schema.py\n")
    for schema in SCHEMAS:
        w(f"CREATE SCHEMA {schema};\n")
        w(f"COMMENT ON SCHEMA {schema} IS 'benchmark schema {schema}';\n")
        type_name, labels = ENUMS[schema]
        values = ", ".join(f"'{label}'" for label in labels)
        w(f"CREATE TYPE {q(schema, type_name)} AS ENUM ({values});\n")
        w(f"CREATE SEQUENCE {q(schema, 'document_no_seq')} START 1000 INCREMENT 10;\n")
    if objects:
        # Functions that read no table come first: checks and defaults call some of them.
        for fn in objects.functions:
            if fn.table is None:
                w(fn.sql())
    for t in tables:
        lines = [c.sql() for c in t.columns]
        lines.append(f"CONSTRAINT pk_{t.name} PRIMARY KEY (id)")
        for name, cols in t.uniques:
            lines.append(f"CONSTRAINT {name} UNIQUE ({', '.join(cols)})")
        for name, expr in t.checks:
            lines.append(f"CONSTRAINT {name} CHECK ({expr})")
        for name, col, target, action in t.fks:
            lines.append(f"CONSTRAINT {name} FOREIGN KEY ({col}) REFERENCES {target.qname} (id) ON DELETE {action}")
        w(f"CREATE TABLE {t.qname} (\n    " + ",\n    ".join(lines) + "\n);\n")
        for name, tail, unique in t.indexes:
            w(f"CREATE {unique}INDEX {name} ON {t.qname} {tail};\n")
        if t.comment:
            w(f"COMMENT ON TABLE {t.qname} IS '{t.comment}';\n")
        for c in t.columns:
            if c.comment:
                w(f"COMMENT ON COLUMN {t.qname}.{c.name} IS '{c.comment}';\n")
    if objects:
        # Then the functions that read tables, the views (each after what it reads) and
        # the triggers.
        for fn in objects.functions:
            if fn.table is not None:
                w(fn.sql())
        for v in objects.views:
            w(v.sql())
        for tr in objects.triggers:
            w(tr.sql())


def build_tables(args):
    rng = random.Random(args.seed * 1_000_003 + args.tables)
    tables = []
    for i in range(args.tables):
        tables.append(make_table(rng, tables, i))
    return tables


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, required=True)
    parser.add_argument("--variant", choices=["a", "b"], required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-objects", action="store_true",
                        help="only the tables (no views, functions or triggers), as in earlier versions")
    args = parser.parse_args()

    tables = build_tables(args)
    if args.no_objects or args.tables < 10:  # below 10 tables there are no views, functions or triggers
        if args.variant == "b":
            tables = mutate(random.Random(args.seed + 7), tables, args.tables)
        emit(tables, sys.stdout)
        return

    # The objects keep clear of what variant b drops or retypes, so both variants make
    # them from the base tables knowing the variant-b tables (built a second time).
    future = mutate(random.Random(args.seed + 7), build_tables(args), args.tables)
    objects = make_objects(random.Random(f"objects {args.seed} {args.tables}"), tables, future, args.tables)
    if args.variant == "b":
        tables = future
        mutate_objects(random.Random(f"objects b {args.seed} {args.tables}"), objects, tables)
    objects.apply_hooks(tables)
    emit(tables, sys.stdout, objects)


if __name__ == "__main__":
    main()
