"""The schema of a database as its own catalogue describes it, normalised for comparison.

``catalogue(database)`` reads every table of a SQLite or PostgreSQL database — columns (type,
nullability, default, primary key), foreign keys (with ``ON DELETE``/``ON UPDATE``), indexes
(columns, unique, ``WHERE``, method) and CHECK constraints — into plain values, and
``differences(a, b)`` names every difference by table and column. ``tests/test_migrations.py``
compares the schema the migrations build with the one ``create_tables()`` builds from the models.

Normalised so that equivalent spellings compare equal, and nothing else:

* Identifiers lose their quotes, keywords their case, whitespace collapses.
* SQLite stores a CHECK or an index's ``WHERE`` as written, so those are parsed (a small
  expression grammar) and printed again with only the parentheses precedence needs:
  ``(("a" IS NULL) AND ("b" IS NULL))`` equals ``a IS NULL AND b IS NULL``.
  PostgreSQL prints its own parsed form (``pg_get_constraintdef``, ``pg_get_expr``), which is
  compared as it comes.
* SQLite ignores a declared ``VARCHAR(n)`` length (every text column has TEXT affinity and no
  limit), so its types compare as their affinity plus the declared name without the length;
  PostgreSQL enforces lengths, so there they count.
* Column order is not compared (``add_column`` appends, ``create_tables`` follows the model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import peewee as pw

# Tables that belong to the migration runner, not to the models.
RUNNER_TABLES = frozenset({"schema_migration"})


@dataclass(frozen=True)
class Column:
    type: str
    not_null: bool
    default: str | None
    primary_key: bool


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str
    on_update: str

    def __str__(self) -> str:
        return (
            f"({', '.join(self.columns)}) → {self.ref_table}({', '.join(self.ref_columns)}) "
            f"ON DELETE {self.on_delete} ON UPDATE {self.on_update}"
        )


@dataclass(frozen=True)
class Index:
    columns: tuple[str, ...]
    unique: bool
    where: str | None
    method: str = "btree"

    def __str__(self) -> str:
        text = f"{'unique ' if self.unique else ''}{self.method} ({', '.join(self.columns)})"
        return text + (f" WHERE {self.where}" if self.where else "")


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    foreign_keys: set[ForeignKey] = field(default_factory=set)
    # Index → its names. Compared by what they index, not by name: the frozen models of the
    # migrations name indexes after the class (``auditentry_…``), create_tables() after the
    # table (``audit_entry_…``); a name only matters to a later migration, which runs against
    # the migrated database.
    indexes: dict[Index, list[str]] = field(default_factory=dict)
    checks: set[str] = field(default_factory=set)


def catalogue(database: pw.Database) -> dict[str, Table]:
    """Every table of the database but the runner's history, by name."""
    read = _sqlite_table if isinstance(database, pw.SqliteDatabase) else _postgres_table
    return {
        name: read(database, name)
        for name in sorted(database.get_tables())
        if name not in RUNNER_TABLES
    }


def differences(
    built: dict[str, Table], wanted: dict[str, Table], built_label: str, wanted_label: str
) -> list[str]:
    """One line per difference, naming table, column (or index, key) and both values."""
    out: list[str] = []
    for name in sorted(built.keys() - wanted.keys()):
        out.append(f"table {name}: only {built_label}")
    for name in sorted(wanted.keys() - built.keys()):
        out.append(f"table {name}: only {wanted_label}")
    for name in sorted(built.keys() & wanted.keys()):
        out.extend(_table_differences(name, built[name], wanted[name], built_label, wanted_label))
    return out


def _table_differences(name: str, a: Table, b: Table, la: str, lb: str) -> list[str]:
    out: list[str] = []
    for col in sorted(a.columns.keys() - b.columns.keys()):
        out.append(f"{name}.{col}: column only {la}")
    for col in sorted(b.columns.keys() - a.columns.keys()):
        out.append(f"{name}.{col}: column only {lb}")
    for col in sorted(a.columns.keys() & b.columns.keys()):
        ca, cb = a.columns[col], b.columns[col]
        for attr in ("type", "not_null", "default", "primary_key"):
            va, vb = getattr(ca, attr), getattr(cb, attr)
            if va != vb:
                out.append(f"{name}.{col}: {attr} is {va!r} {la} but {vb!r} {lb}")
    for fk in sorted(a.foreign_keys - b.foreign_keys, key=str):
        out.append(f"{name}.{','.join(fk.columns)}: foreign key {fk} only {la}")
    for fk in sorted(b.foreign_keys - a.foreign_keys, key=str):
        out.append(f"{name}.{','.join(fk.columns)}: foreign key {fk} only {lb}")
    for idx in sorted(a.indexes.keys() | b.indexes.keys(), key=str):
        na, nb = a.indexes.get(idx, []), b.indexes.get(idx, [])
        if len(na) != len(nb):
            names = ", ".join(na + nb)
            out.append(
                f"{name}.{','.join(idx.columns)}: index {idx} ({names}) "
                f"{len(na)}× {la} but {len(nb)}× {lb}"
            )
    for check in sorted(a.checks - b.checks):
        out.append(f"{name}: CHECK ({check}) only {la}")
    for check in sorted(b.checks - a.checks):
        out.append(f"{name}: CHECK ({check}) only {lb}")
    return out


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_type(declared: str) -> str:
    """The declared type without a length (SQLite enforces none), e.g. ``VARCHAR``,
    ``DECIMAL(5,2)`` keeps its precision as written (it does not change affinity either, but
    peewee writes it from the field, so a difference there is a difference in the field)."""
    text = re.sub(r"\s+", "", declared.upper())
    return re.sub(r"^(VARCHAR|CHARACTERVARYING|CHAR|CHARACTER|NVARCHAR|NCHAR)\(\d+\)$", r"\1", text)


def _sqlite_table(database: pw.Database, name: str) -> Table:
    table = Table()
    for _cid, col, declared, notnull, default, pk in database.execute_sql(
        f'PRAGMA table_info("{name}")'
    ).fetchall():
        table.columns[col] = Column(
            _sqlite_type(declared), bool(notnull) or bool(pk), _default(default), bool(pk)
        )
    keys: dict[int, list] = {}
    for fid, _seq, ref, src, dst, on_update, on_delete, _match in database.execute_sql(
        f'PRAGMA foreign_key_list("{name}")'
    ).fetchall():
        keys.setdefault(fid, [ref, [], [], on_delete, on_update])
        keys[fid][1].append(src)
        keys[fid][2].append(dst)
    for ref, src, dst, on_delete, on_update in keys.values():
        table.foreign_keys.add(
            ForeignKey(tuple(src), ref, tuple(dst), _action(on_delete), _action(on_update))
        )
    for _seq, index, unique, origin, _partial in database.execute_sql(
        f'PRAGMA index_list("{name}")'
    ).fetchall():
        if origin == "pk":
            continue
        columns = tuple(
            col if col is not None else "<expression>"
            for _n, _cid, col in database.execute_sql(f'PRAGMA index_info("{index}")').fetchall()
        )
        sql = database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)
        ).fetchone()[0]
        where = _sqlite_where(sql) if sql else None
        table.indexes.setdefault(Index(columns, bool(unique), where), []).append(index)
    sql = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()[0]
    table.checks = {normalise_expression(c) for c in _checks(sql)}
    return table


def _action(text: str | None) -> str:
    text = (text or "NO ACTION").upper().strip()
    return text


def _default(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for token in _tokens(text):
        depth += token == "("
        depth -= token == ")"
        if depth < 0:
            return False
    return depth == 0


def _sqlite_where(sql: str) -> str | None:
    """The ``WHERE`` of a CREATE INDEX statement (after its column list), normalised."""
    tokens = _tokens(sql)
    depth, seen_columns = 0, False
    for i, token in enumerate(tokens):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            seen_columns = seen_columns or depth == 0
        elif depth == 0 and seen_columns and token.upper() == "WHERE":
            return normalise_expression(" ".join(tokens[i + 1 :]))
    return None


def _checks(sql: str) -> list[str]:
    """The expression of every CHECK in a CREATE TABLE statement."""
    tokens = _tokens(sql)
    found = []
    for i, token in enumerate(tokens):
        if token.upper() == "CHECK" and i + 1 < len(tokens) and tokens[i + 1] == "(":
            depth = 0
            for j in range(i + 1, len(tokens)):
                depth += tokens[j] == "("
                depth -= tokens[j] == ")"
                if depth == 0:
                    found.append(" ".join(tokens[i + 2 : j]))
                    break
    return found


# --- PostgreSQL --------------------------------------------------------------------------

_PG_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


def _postgres_table(database: pw.Database, name: str) -> Table:
    table = Table()
    oid = database.execute_sql("SELECT to_regclass(%s)::oid", (f'"{name}"',)).fetchone()[0]
    pk_columns = {
        row[0]
        for row in database.execute_sql(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s AND i.indisprimary",
            (oid,),
        ).fetchall()
    }
    for col, type_, not_null, default in database.execute_sql(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped",
        (oid,),
    ).fetchall():
        table.columns[col] = Column(type_, not_null, default, col in pk_columns)
    for contype, definition, conkey, ref, refkey, deltype, updtype in database.execute_sql(
        "SELECT c.contype, pg_get_constraintdef(c.oid), "
        "ARRAY(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
        "      JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n ORDER BY k.o), "
        "c.confrelid::regclass::text, "
        "ARRAY(SELECT attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) "
        "      JOIN pg_attribute ON attrelid = c.confrelid AND attnum = k.n ORDER BY k.o), "
        "c.confdeltype, c.confupdtype "
        "FROM pg_constraint c WHERE c.conrelid = %s",
        (oid,),
    ).fetchall():
        if contype == "c":
            table.checks.add(_collapse(definition.removeprefix("CHECK ")[1:-1]))
        elif contype == "f":
            table.foreign_keys.add(
                ForeignKey(
                    tuple(conkey),
                    ref.strip('"'),
                    tuple(refkey),
                    _PG_ACTIONS[deltype],
                    _PG_ACTIONS[updtype],
                )
            )
        elif contype == "u":
            table.indexes.setdefault(Index(tuple(conkey), True, None), []).append(definition)
    for index, unique, method, where, columns in database.execute_sql(
        "SELECT ci.relname, i.indisunique, am.amname, pg_get_expr(i.indpred, i.indrelid), "
        "ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) "
        "      FROM generate_series(1, i.indnatts) k ORDER BY k) "
        "FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
        "JOIN pg_am am ON am.oid = ci.relam "
        "LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('p', 'u') "
        "WHERE i.indrelid = %s AND c.oid IS NULL",
        (oid,),
    ).fetchall():
        columns = tuple(c.strip('"') for c in columns)
        where = _collapse(where) if where else None
        table.indexes.setdefault(Index(columns, unique, where, method), []).append(index)
    return table


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- expressions (SQLite keeps them as written) ------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<qid>"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\])
      | (?P<num>\d+(?:\.\d+)?)
      | (?P<op><>|!=|<=|>=|\|\||::|[-+*/%(),=<>.])
      | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read SQL at {text[pos : pos + 20]!r}")
        pos = match.end()
        if match.group("qid"):
            out.append(match.group("qid")[1:-1].replace('""', '"'))
        elif match.group("word"):
            word = match.group("word")
            out.append(word.upper() if word.upper() in _KEYWORDS else word)
        else:
            out.append(match.group().strip())
    return out


_KEYWORDS = frozenset(
    (
        *("AND", "OR", "NOT", "IS", "NULL", "IN", "BETWEEN", "LIKE", "GLOB", "ESCAPE"),
        *("CASE", "WHEN", "THEN", "ELSE", "END", "TRUE", "FALSE"),
        *("CHECK", "WHERE", "ON", "CREATE", "INDEX", "UNIQUE", "IF", "EXISTS"),
    )
)
_COMPARE = ("=", "==", "<>", "!=", "<", "<=", ">", ">=")
_PRECEDENCE = {"OR": 1, "AND": 2, "NOT": 3, "CMP": 4, "+": 5, "*": 6, "ATOM": 9}


def normalise_expression(text: str) -> str:
    """An SQL expression printed with only the parentheses precedence needs; text that the
    small grammar here cannot read is compared with its whitespace collapsed."""
    try:
        tokens = _tokens(text)
        parser = _Parser(tokens)
        tree = parser.expression()
        if parser.pos != len(tokens):
            raise ValueError("trailing tokens")
    except (ValueError, IndexError):
        return _collapse(text)
    return _print(tree)


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens, self.pos = tokens, 0

    def peek(self, offset: int = 0) -> str | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.pos]
        if expected is not None and token != expected:
            raise ValueError(f"expected {expected}, got {token}")
        self.pos += 1
        return token

    def expression(self):
        return self._chain("OR", self._and)

    def _and(self):
        return self._chain("AND", self._not)

    def _chain(self, op: str, part):
        items = [part()]
        while self.peek() == op:
            self.take()
            items.append(part())
        if len(items) == 1:
            return items[0]
        flat = []
        for item in items:  # associative: (a AND b) AND c is a AND b AND c
            flat.extend(item[1] if item[0] == op else [item])
        return (op, flat)

    def _not(self):
        if self.peek() == "NOT":
            self.take()
            return ("NOT", self._not())
        return self._comparison()

    def _comparison(self):
        left = self._sum()
        token = self.peek()
        if token in _COMPARE:
            op = self.take()
            return ("CMP", ("<>" if op == "!=" else "=" if op == "==" else op), left, self._sum())
        if token == "IS":
            self.take()
            negated = self.peek() == "NOT" and self.take() == "NOT"
            return ("CMP", "IS NOT" if negated else "IS", left, self._sum())
        negated = token == "NOT" and self.peek(1) in ("IN", "BETWEEN", "LIKE")
        if negated:
            self.take()
            token = self.peek()
        if token == "IN":
            self.take()
            self.take("(")
            items = [self.expression()]
            while self.peek() == ",":
                self.take()
                items.append(self.expression())
            self.take(")")
            return ("IN", negated, left, items)
        if token == "BETWEEN":
            self.take()
            low = self._sum()
            self.take("AND")
            return ("BETWEEN", negated, left, low, self._sum())
        if token == "LIKE":
            self.take()
            return ("CMP", "NOT LIKE" if negated else "LIKE", left, self._sum())
        return left

    def _sum(self):
        return self._binary(("+", "-", "||"), "+", self._product)

    def _product(self):
        return self._binary(("*", "/", "%"), "*", self._unary)

    def _binary(self, ops, level: str, part):
        left = part()
        while self.peek() in ops:
            op = self.take()
            left = ("BIN", level, op, left, part())
        return left

    def _unary(self):
        if self.peek() == "-":
            self.take()
            return ("NEG", self._unary())
        return self._atom()

    def _atom(self):
        token = self.take()
        if token == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if token in ("NULL", "TRUE", "FALSE") or token[0] in "'0123456789":
            return ("ATOM", token)
        if not re.match(r"[A-Za-z_]", token) or token in _KEYWORDS:
            raise ValueError(f"unexpected {token}")
        if self.peek() == "(":
            self.take()
            args = []
            while self.peek() != ")":
                args.append(self.expression())
                if self.peek() == ",":
                    self.take()
            self.take(")")
            return ("ATOM", f"{token.lower()}({', '.join(_print(a) for a in args)})")
        name = token
        while self.peek() == ".":
            self.take()
            name += "." + self.take()
        return ("ATOM", name)


def _level(node) -> int:
    kind = node[0]
    if kind in ("OR", "AND", "NOT", "ATOM"):
        return _PRECEDENCE[kind]
    if kind in ("CMP", "IN", "BETWEEN"):
        return _PRECEDENCE["CMP"]
    if kind == "BIN":
        return _PRECEDENCE[node[1]]
    return _PRECEDENCE["ATOM"]  # NEG


def _wrap(node, above: int, strict: bool = False) -> str:
    text = _print(node)
    level = _level(node)
    return f"({text})" if level < above or (strict and level == above) else text


def _print(node) -> str:
    kind = node[0]
    if kind == "ATOM":
        return node[1]
    if kind in ("OR", "AND"):
        return f" {kind} ".join(_wrap(n, _PRECEDENCE[kind], strict=True) for n in node[1])
    if kind == "NOT":
        return "NOT " + _wrap(node[1], _PRECEDENCE["NOT"])
    if kind == "NEG":
        return "-" + _wrap(node[1], _PRECEDENCE["ATOM"])
    if kind == "CMP":
        level = _PRECEDENCE["CMP"]
        return f"{_wrap(node[2], level, True)} {node[1]} {_wrap(node[3], level, True)}"
    if kind == "IN":
        items = ", ".join(_print(n) for n in node[3])
        return f"{_wrap(node[2], _PRECEDENCE['CMP'], True)} {'NOT ' if node[1] else ''}IN ({items})"
    if kind == "BETWEEN":
        level = _PRECEDENCE["CMP"]
        return (
            f"{_wrap(node[2], level, True)} {'NOT ' if node[1] else ''}BETWEEN "
            f"{_wrap(node[3], level, True)} AND {_wrap(node[4], level, True)}"
        )
    level = _PRECEDENCE[node[1]]  # BIN: left-associative
    return f"{_wrap(node[3], level)} {node[2]} {_wrap(node[4], level, True)}"
