/// The catalog SQL the inspector runs, one bulk query per object kind.
///
/// The queries on schemas and tables take `$1`, a text array of the managed schema names, or
/// NULL for every non-system schema; those on what is in a table take the table oids.
/// Objects that belong to an extension are left out: the extension manages them. Run with
/// `search_path = pg_catalog` so that PostgreSQL prints every name outside pg_catalog
/// schema-qualified.
enum CatalogQueries {
    /// The managed namespaces, as a CTE named `ns` every query starts with.
    static let managedNamespaces = """
        with ns as (
            select n.oid, n.nspname
            from pg_namespace n
            where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
              and n.nspname !~ '^pg_(toast_)?temp_'
              and ($1::text[] is null or n.nspname = any($1::text[]))
              and not exists (select 1 from pg_depend d
                              where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
        )
        """

    /// Relations owned by an extension, excluded everywhere.
    static let notExtensionMember = """
        not exists (select 1 from pg_depend e
                    where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e')
        """

    /// Tables the model covers: ordinary, partitioned and partitions, but not tables in a
    /// (non-partition) inheritance tree, which are reported as other objects until modelled.
    static let plainTable = """
        c.relkind in ('r', 'p')
          and not exists (select 1 from pg_inherits i join pg_class ch on ch.oid = i.inhrelid
                          where (i.inhrelid = c.oid or i.inhparent = c.oid) and not ch.relispartition)
        """

    static let schemas = managedNamespaces + """
        select ns.nspname, obj_description(ns.oid, 'pg_namespace')
        from ns order by 1
        """

    /// A left join of the comment on an object as `de` (a join rather than one
    /// `obj_description` call per row).
    static func comment(on object: String, in catalog: String, column: String = "0") -> String {
        "left join pg_description de on de.objoid = \(object) and de.classoid = '\(catalog)'::regclass and de.objsubid = \(column)"
    }

    static let tables = managedNamespaces + """
        select c.oid::text, ns.nspname, c.relname, c.relpersistence, de.description,
               nullif(pg_get_userbyid(c.relowner), current_user::text),
               case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
               pn.nspname, pc.relname, case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end,
               quote_ident(ns.nspname) || '.' || quote_ident(c.relname)
        from pg_class c join ns on ns.oid = c.relnamespace
        left join pg_inherits pi on c.relispartition and pi.inhrelid = c.oid
        left join pg_class pc on pc.oid = pi.inhparent
        left join pg_namespace pn on pn.oid = pc.relnamespace
        \(comment(on: "c.oid", in: "pg_class"))
        where \(plainTable) and \(notExtensionMember)
        order by 2, 3
        """

    /// The managed tables, as the tables query found them: `$1` is their oids as an array,
    /// so the queries that read what is on those tables do not decide again which tables
    /// are managed (and run in one snapshot with the tables query).
    static let managedTables = """
        with tbl as materialized (
            select c.oid from pg_class c where c.oid = any($1::oid[])
        )
        """

    /// Columns of the tables in `$1` (oids; partitions left out, their columns are their
    /// parent's), in order. Filtering `pg_attribute` by the oid list directly, rather than
    /// joining it to the table list, keeps it from being hashed whole.
    static let columns = """
        select a.attrelid::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               \(expression("ad.adbin", relation: "ad.adrelid")), a.attidentity, a.attgenerated,
               cn.nspname, co.collname, de.description,
               a.attnum::text, a.atttypid::text, a.attcollation::text, nullif(quote_ident(a.attname), a.attname),
               t.typtype, t.typcategory,
               case when a.attstorage <> t.typstorage then a.attstorage end, t.typstorage, a.atttypmod::text
        from pg_attribute a
        join pg_type t on t.oid = a.atttypid
        left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        left join pg_collation co on co.oid = a.attcollation and a.attcollation <> t.typcollation
        left join pg_namespace cn on cn.oid = co.collnamespace
        \(comment(on: "a.attrelid", in: "pg_class", column: "a.attnum"))
        where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
        order by a.attrelid, a.attnum
        """

    /// The sequences behind identity columns of the tables in `$1` (oids), by table oid and
    /// column number.
    static let identitySequences = """
        select d.refobjid::text, d.refobjsubid::text, sn.nspname, sc.relname, format_type(s.seqtypid, null),
               s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle
        from pg_depend d
        join pg_sequence s on s.seqrelid = d.objid
        join pg_class sc on sc.oid = s.seqrelid
        join pg_namespace sn on sn.oid = sc.relnamespace
        where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype = 'i'
          and d.refobjid = any($1::oid[])
        """

    /// Constraints, with what `CatalogSpelling` needs to spell primary keys, unique
    /// constraints and foreign keys itself (`pg_get_constraintdef` looks every column name up
    /// one at a time). The definition column is `pg_get_constraintdef` for every other kind
    /// and shape (checks, exclusions, INCLUDE, NULLS NOT DISTINCT, ON DELETE SET NULL
    /// (columns), periods, NOT ENFORCED), NULL where the client spells it.
    static func constraints(serverVersion: Int) -> String {
        var unusual = ["con.contype not in ('p', 'u', 'f')", "ix.indnatts <> ix.indnkeyatts"]
        if serverVersion >= 150000 { unusual += ["ix.indnullsnotdistinct", "con.confdelsetcols is not null"] }
        if serverVersion >= 170000 { unusual.append("con.conperiod") }
        if serverVersion >= 180000 { unusual.append("not con.conenforced") }
        return managedTables + """
        select con.conrelid::text, con.conname, con.contype,
               case when \(unusual.map { "(\($0)) is true" }.joined(separator: " or "))
                    then pg_get_constraintdef(con.oid) end,
               f.nspname, f.relname, de.description, con.oid::text, con.conkey::text, con.confkey::text,
               con.confrelid::text, con.confmatchtype, con.confupdtype, con.confdeltype,
               con.condeferrable, con.condeferred, con.convalidated
        from tbl
        join pg_constraint con on con.conrelid = tbl.oid
        left join pg_index ix on con.contype in ('p', 'u') and ix.indexrelid = con.conindid
        left join lateral (select fn.nspname, fc.relname
                           from pg_class fc join pg_namespace fn on fn.oid = fc.relnamespace
                           where fc.oid = con.confrelid offset 0) f on true
        \(comment(on: "con.oid", in: "pg_constraint"))
        where con.contype in ('p', 'u', 'c', 'f', 'x') and con.conparentid = 0 and con.conislocal
        order by con.conrelid, con.conname
        """
    }

    /// `pg_get_constraintdef` of the constraints in `$1` (oids), for those the client could
    /// not spell.
    static let constraintDefinitions = """
        select x.oid::text, pg_get_constraintdef(x.oid) from unnest($1::oid[]) x(oid)
        """

    /// `pg_get_expr(node, relation)`, but without naming the relation when the expression
    /// refers to no column (most defaults): `pg_get_expr` then prints the same text without
    /// opening the relation, which for thousands of tables is most of the inspection time.
    static func expression(_ node: String, relation: String) -> String {
        "pg_get_expr(\(node), case when \(node)::text like '%{VAR %' then \(relation) else 0 end)"
    }

    /// Indexes, with what `CatalogSpelling` needs to spell the common shape itself (plain
    /// columns, no expression, predicate, storage parameter or NULLS NOT DISTINCT):
    /// `pg_get_indexdef` opens the table of every index it prints, which for thousands of
    /// tables is most of an inspection. The definition column is `pg_get_indexdef` for the
    /// other shapes, NULL where the client spells it.
    static func indexes(serverVersion: Int) -> String {
        // NULLS NOT DISTINCT exists from PostgreSQL 15 on.
        let distinctNulls = serverVersion >= 150000 ? " or i.indnullsnotdistinct" : ""
        return managedTables + """
        select i.indrelid::text, ic.relname,
               case when i.indexprs is not null or i.indpred is not null or ic.reloptions is not null\(distinctNulls)
                    then pg_get_indexdef(i.indexrelid) end,
               de.description, i.indexrelid::text, quote_ident(ic.relname), i.indisunique, ic.relkind = 'I',
               ic.relam::text, quote_ident(am.amname), i.indnkeyatts::text, i.indkey::text, i.indclass::text,
               i.indcollation::text, i.indoption::text
        from tbl
        join pg_index i on i.indrelid = tbl.oid
        join pg_class ic on ic.oid = i.indexrelid
        join pg_am am on am.oid = ic.relam
        \(comment(on: "i.indexrelid", in: "pg_class"))
        where not exists (select 1 from pg_constraint con
                          where con.conrelid = i.indrelid and con.conindid = i.indexrelid
                            and con.contype in ('p', 'u', 'x'))
          and not exists (select 1 from pg_inherits ii where ii.inhrelid = i.indexrelid)
        order by i.indrelid, ic.relname
        """
    }

    /// `pg_get_indexdef` of the indexes in `$1` (oids), for those the client could not spell.
    static let indexDefinitions = """
        select x.oid::text, pg_get_indexdef(x.oid) from unnest($1::oid[]) x(oid)
        """

    /// Operator classes, to tell a column's default one (which definitions leave out).
    static let operatorClasses = """
        select oid::text, opcmethod::text, opcintype::text, opcdefault from pg_opclass
        """

    static let sequences = managedNamespaces + """
        select ns.nspname, c.relname, format_type(s.seqtypid, null), s.seqstart::text, s.seqincrement::text,
               s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle,
               own_ns.nspname, own_c.relname, own_a.attname, de.description
        from pg_sequence s
        join pg_class c on c.oid = s.seqrelid
        join ns on ns.oid = c.relnamespace
        left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
              and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype = 'a'
        left join pg_class own_c on own_c.oid = d.refobjid
        left join pg_namespace own_ns on own_ns.oid = own_c.relnamespace
        left join pg_attribute own_a on own_a.attrelid = d.refobjid and own_a.attnum = d.refobjsubid
        \(comment(on: "c.oid", in: "pg_class"))
        where \(notExtensionMember)
          and not exists (select 1 from pg_depend di
                          where di.classid = 'pg_class'::regclass and di.objid = c.oid and di.deptype = 'i')
        order by 1, 2
        """

    static let enums = managedNamespaces + """
        select ns.nspname, t.typname,
               (select array_agg(e.enumlabel order by e.enumsortorder)::text from pg_enum e where e.enumtypid = t.oid),
               obj_description(t.oid, 'pg_type')
        from pg_type t join ns on ns.oid = t.typnamespace
        where t.typtype = 'e'
          and not exists (select 1 from pg_depend e
                          where e.classid = 'pg_type'::regclass and e.objid = t.oid and e.deptype = 'e')
        order by 1, 2
        """

    static let extensions = managedNamespaces + """
        select x.extname, ns.nspname
        from pg_extension x join ns on ns.oid = x.extnamespace
        where x.extname <> 'plpgsql'
        order by 1
        """

    /// Every object of a kind the model does not cover yet, with PostgreSQL's own definition
    /// where it has one, so a declared view or function is never ignored silently.
    static let otherObjects = managedNamespaces + """
        select kind, identity, definition from (
            select case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
                                  when 'f' then 'foreign table' when 'c' then 'composite type'
                                  else 'inheriting table' end as kind,
                   ns.nspname || '.' || c.relname as identity,
                   case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid)
                        else coalesce((select string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                                                         || case when a.attnotnull then ' not null' else '' end
                                                         || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                                                         || case when a.attislocal then '' else ' inherited' end,
                                                         ', ' order by a.attname)
                                       from pg_attribute a
                                       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                                       where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '')
                             || coalesce(' inherits ' || (select string_agg(i.inhparent::regclass::text, ', ' order by i.inhseqno)
                                                          from pg_inherits i where i.inhrelid = c.oid), '')
                             || coalesce(' constraints ' || (select string_agg(pg_get_constraintdef(co.oid), ', ' order by co.conname)
                                                             from pg_constraint co where co.conrelid = c.oid), '')
                   end as definition
            from pg_class c join ns on ns.oid = c.relnamespace
            where \(notExtensionMember)
              and (c.relkind in ('v', 'm', 'f', 'c')
                   or (c.relkind in ('r', 'p') and not (\(plainTable))))
            union all
            select 'row-level security', ns.nspname || '.' || c.relname,
                   case when c.relforcerowsecurity then 'forced' else 'enabled' end
            from pg_class c join ns on ns.oid = c.relnamespace
            where c.relrowsecurity
            union all
            select case t.typtype when 'd' then 'domain' else 'range type' end,
                   ns.nspname || '.' || t.typname,
                   case t.typtype
                        when 'd' then format_type(t.typbasetype, t.typtypmod)
                                      || case when t.typnotnull then ' not null' else '' end
                                      || coalesce(' default ' || t.typdefault, '')
                                      || coalesce(' ' || (select string_agg(pg_get_constraintdef(co.oid), ', ' order by co.conname)
                                                          from pg_constraint co where co.contypid = t.oid), '')
                        else (select format_type(r.rngsubtype, null) from pg_range r where r.rngtypid = t.oid) end
            from pg_type t join ns on ns.oid = t.typnamespace
            where t.typtype in ('d', 'r')
              and not exists (select 1 from pg_depend e
                              where e.classid = 'pg_type'::regclass and e.objid = t.oid and e.deptype = 'e')
            union all
            select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
                   ns.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                   case when p.prokind in ('f', 'p', 'w') then pg_get_functiondef(p.oid) else '' end
            from pg_proc p join ns on ns.oid = p.pronamespace
            where not exists (select 1 from pg_depend e
                              where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e')
            union all
            select 'trigger', tg.tgname || ' on ' || ns.nspname || '.' || c.relname, pg_get_triggerdef(tg.oid)
            from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join ns on ns.oid = c.relnamespace
            where not tg.tgisinternal
            union all
            select 'policy', pol.polname || ' on ' || ns.nspname || '.' || c.relname,
                   case when pol.polpermissive then 'permissive ' else 'restrictive ' end || pol.polcmd::text
                   || ' to ' || coalesce((select string_agg(case when r = 0 then 'public' else pg_get_userbyid(r) end, ',' order by 1)
                                          from unnest(pol.polroles) r), '')
                   || ' using ' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '')
                   || ' check ' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')
            from pg_policy pol join pg_class c on c.oid = pol.polrelid join ns on ns.oid = c.relnamespace
        ) o
        order by 1, 2
        """
}
