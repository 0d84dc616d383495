#!/usr/bin/env python3
"""Generates the benchmark schema for scripts/bench.sh as SQL on stdout.

    bench_schema.py --tables N --variant a|b [--seed S]

Variant `a` is the base: N tables spread over three schemas (core, billing, audit) with
mixed column types, defaults, NOT NULL, identity and serial columns, a standalone
sequence per schema, enums, primary keys, unique and check constraints, foreign keys to
earlier tables (also across schemas), plain, unique, multi-column, partial and expression
indexes, and comments. Variant `b` is the same schema with about 5% of the tables changed:
columns added, dropped and retyped, indexes added and dropped, checks added, tables added
and dropped. Only objects drover's engine plans today are used (no views, functions,
triggers or partitioned tables). The output is deterministic for a given N and seed.
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


def emit(tables, out):
    w = out.write
    w("-- generated by scripts/bench_schema.py\n")
    for schema in SCHEMAS:
        w(f"CREATE SCHEMA {schema};\n")
        w(f"COMMENT ON SCHEMA {schema} IS 'benchmark schema {schema}';\n")
        type_name, labels = ENUMS[schema]
        values = ", ".join(f"'{label}'" for label in labels)
        w(f"CREATE TYPE {q(schema, type_name)} AS ENUM ({values});\n")
        w(f"CREATE SEQUENCE {q(schema, 'document_no_seq')} START 1000 INCREMENT 10;\n")
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, required=True)
    parser.add_argument("--variant", choices=["a", "b"], required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rng = random.Random(args.seed * 1_000_003 + args.tables)
    tables = []
    for i in range(args.tables):
        tables.append(make_table(rng, tables, i))
    if args.variant == "b":
        tables = mutate(random.Random(args.seed + 7), tables, args.tables)
    emit(tables, sys.stdout)


if __name__ == "__main__":
    main()
