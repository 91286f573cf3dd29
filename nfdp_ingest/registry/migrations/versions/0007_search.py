"""Full-text search: one ``search_doc`` per project, sample and run, kept by triggers.

The database keeps the documents current itself (triggers on insert, update and
delete of projects, samples and runs), so every way a record is written — a
submission's bulk insert, the API, a repair by hand — is searchable at commit.
PostgreSQL: statement-level triggers over transition tables (one set-based
INSERT per bulk statement) and a stored ``tsvector`` with a GIN index; SQLite:
row triggers and an FTS5 index over ``search_doc``.

Text is reduced to runs of letters and digits before indexing on both databases
(``A_L001_R1.fastq.gz`` → ``a l001 r1 fastq gz``), so both find the same words;
registry.search reduces a query the same way. A run's file name is also indexed as
one word, its letters and digits joined, so a whole name is one cheap look-up.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (kind, source table, the SELECT list over alias ``n`` (+ joins) that makes its document)
_DOCS = {
    "project": (
        "project",
        "'project', n.accession, n.id, n.title, "
        "coalesce(n.project_type, ''), "
        "n.accession || ' ' || n.title || ' ' || coalesce(n.description, '') || ' ' || coalesce(n.project_type, '') "
        "|| ' ' || coalesce(n.ena_accession, '') || ' ' || coalesce(n.ena_secondary_accession, '')",
        "",
    ),
    "sample": (
        "sample",
        "'sample', n.accession, n.project_id, n.alias, "
        "trim(coalesce(n.organism, '') || ' ' || coalesce(n.breed, '') || ' ' || coalesce(n.geographic_location, '')), "
        "n.accession || ' ' || coalesce(n.ena_accession, '') || ' ' || coalesce(n.biosample_accession, '') "
        "|| ' ' || n.alias || ' ' || coalesce(n.organism, '') || ' ' || coalesce(n.breed, '') || ' ' "
        "|| coalesce(n.geographic_location, '') || ' ' || coalesce(n.host, '') || ' ' || coalesce(n.tissue, '') "
        "|| ' ' || coalesce(n.sex, '') || ' ' || coalesce(n.developmental_stage, '') || ' ' "
        "|| coalesce(n.collection_date, '') || ' ' || coalesce({attributes}, '')",
        "",
    ),
    "run": (
        "run",
        "'run', n.accession, s.project_id, n.filename, "
        "n.file_type || ' ' || CAST(n.file_size AS TEXT) || ' bytes', "
        "n.accession || ' ' || coalesce(n.ena_accession, '') || ' ' || n.filename || ' ' || n.checksum_md5 || ' ' || n.checksum_sha256 || ' ' || n.file_type "
        "|| ' ' || {joined_name}",
        " JOIN experiment e ON e.id = n.experiment_id JOIN sample s ON s.id = e.sample_id",
    ),
}
_COLUMNS = "kind, accession, project_id, title, summary, body"
# The file name as one word (``A_L001_R1.fastq.gz`` → ``al001r1fastqgz``): a whole name is
# then found by one posting list instead of the intersection of very common ones (fastq, gz).
_JOINED_NAME = {
    "postgresql": "regexp_replace(lower(n.filename), '[^[:alnum:]]+', '', 'g')",
    "sqlite": "replace(replace(replace(replace(replace(lower(n.filename), '_', ''), '.', ''), '-', ''), ' ', ''), '/', '')",
}
# The attributes' keys and values as text (the JSON text itself has non-ASCII escaped as \uXXXX).
_ATTRIBUTES = {
    "postgresql": "(SELECT string_agg(key || ' ' || value, ' ') FROM json_each_text(n.attributes))",
    "sqlite": "(SELECT group_concat(key || ' ' || value, ' ') FROM json_each(n.attributes))",
}


def _insert_from(kind: str, source: str, where: str = "") -> str:
    table, select_list, joins = _DOCS[kind]
    dialect = op.get_bind().dialect.name
    select_list = select_list.replace("{attributes}", _ATTRIBUTES[dialect]).replace("{joined_name}", _JOINED_NAME[dialect])
    return f"INSERT INTO search_doc ({_COLUMNS}) SELECT {select_list} FROM {source} n{joins} {where}"


def upgrade() -> None:
    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("accession", sa.String(32), nullable=False, unique=True),
        sa.Column("project_id", sa.Integer, nullable=False, index=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()
    for kind, (table, _, _) in _DOCS.items():
        op.execute(_insert_from(kind, table))


def _postgresql() -> None:
    words = "regexp_replace({}, '[^[:alnum:]]+', ' ', 'g')"
    op.execute(
        "ALTER TABLE search_doc ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('simple', {words.format('title')}), 'A') || "
        f"to_tsvector('simple', {words.format('body')})) STORED"
    )
    op.execute("CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv)")
    for kind, (table, _, _) in _DOCS.items():
        op.execute(f"""
            CREATE FUNCTION nfdp_search_{kind}_ins() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN {_insert_from(kind, 'new_rows')}; RETURN NULL; END $$""")
        op.execute(f"""
            CREATE FUNCTION nfdp_search_{kind}_upd() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              DELETE FROM search_doc WHERE accession IN (SELECT accession FROM old_rows);
              {_insert_from(kind, 'new_rows')};
              RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE FUNCTION nfdp_search_{kind}_del() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN DELETE FROM search_doc WHERE accession IN (SELECT accession FROM old_rows); RETURN NULL; END $$""")
        op.execute(f"CREATE TRIGGER search_{kind}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION nfdp_search_{kind}_ins()")
        op.execute(f"CREATE TRIGGER search_{kind}_upd AFTER UPDATE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION nfdp_search_{kind}_upd()")
        op.execute(f"CREATE TRIGGER search_{kind}_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION nfdp_search_{kind}_del()")


def _sqlite() -> None:
    # FTS5's unicode61 tokenizer splits on everything but letters and digits, as above.
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_doc', "
               "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    op.execute("CREATE TRIGGER search_fts_ai AFTER INSERT ON search_doc BEGIN "
               "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END")
    op.execute("CREATE TRIGGER search_fts_ad AFTER DELETE ON search_doc BEGIN "
               "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
               "END")
    for kind, (table, _, _) in _DOCS.items():
        one = _insert_from(kind, table, "WHERE n.id = new.id")
        op.execute(f"CREATE TRIGGER search_{kind}_ai AFTER INSERT ON {table} BEGIN {one}; END")
        op.execute(f"CREATE TRIGGER search_{kind}_au AFTER UPDATE ON {table} BEGIN "
                   f"DELETE FROM search_doc WHERE accession = old.accession; {one}; END")
        op.execute(f"CREATE TRIGGER search_{kind}_ad AFTER DELETE ON {table} BEGIN "
                   "DELETE FROM search_doc WHERE accession = old.accession; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for kind, (table, _, _) in _DOCS.items():
            for what in ("ins", "upd", "del"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{kind}_{what} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS nfdp_search_{kind}_{what}()")
    else:
        for kind in _DOCS:
            for what in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{kind}_{what}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_doc")
