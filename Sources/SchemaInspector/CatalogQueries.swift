/// The catalog SQL the inspector runs, one bulk query per object kind.
///
/// Every query takes `$1`, a text array of the managed schema names, or NULL for every
/// non-system schema. Objects that belong to an extension are left out: the extension
/// manages them. Run with `search_path = pg_catalog` so that PostgreSQL prints every name
/// outside pg_catalog schema-qualified.
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

    static let tables = managedNamespaces + """
        select c.oid::text, ns.nspname, c.relname, c.relpersistence, obj_description(c.oid, 'pg_class'),
               nullif(pg_get_userbyid(c.relowner), current_user::text),
               case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
               pn.nspname, pc.relname, case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end
        from pg_class c join ns on ns.oid = c.relnamespace
        left join pg_inherits pi on c.relispartition and pi.inhrelid = c.oid
        left join pg_class pc on pc.oid = pi.inhparent
        left join pg_namespace pn on pn.oid = pc.relnamespace
        where \(plainTable) and \(notExtensionMember)
        order by 2, 3
        """

    /// The managed tables, computed once per query (a materialised CTE) rather than tested
    /// again for every column, constraint and index row.
    static let managedTables = managedNamespaces + """
        , tbl as materialized (
            select c.oid, c.relispartition
            from pg_class c join ns on ns.oid = c.relnamespace
            where \(plainTable) and \(notExtensionMember)
        )
        """

    static let columns = managedTables + """
        , ident as materialized (
            select d.refobjid, d.refobjsubid, sn.nspname, sc.relname, s.*
            from pg_depend d
            join pg_sequence s on s.seqrelid = d.objid
            join pg_class sc on sc.oid = s.seqrelid
            join pg_namespace sn on sn.oid = sc.relnamespace
            where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype = 'i'
        )
        select a.attrelid::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
               cn.nspname, co.collname, de.description,
               i.nspname, i.relname, format_type(i.seqtypid, null), i.seqstart::text, i.seqincrement::text,
               i.seqmin::text, i.seqmax::text, i.seqcache::text, i.seqcycle
        from tbl
        join pg_attribute a on a.attrelid = tbl.oid
        join pg_type t on t.oid = a.atttypid
        left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        left join pg_collation co on co.oid = a.attcollation and a.attcollation <> t.typcollation
        left join pg_namespace cn on cn.oid = co.collnamespace
        left join pg_description de on de.objoid = a.attrelid and de.classoid = 'pg_class'::regclass and de.objsubid = a.attnum
        left join ident i on a.attidentity <> '' and i.refobjid = a.attrelid and i.refobjsubid = a.attnum
        where a.attnum > 0 and not a.attisdropped and not tbl.relispartition
        order by a.attrelid, a.attnum
        """

    static let constraints = managedTables + """
        select con.conrelid::text, con.conname, con.contype, pg_get_constraintdef(con.oid),
               fn.nspname, fc.relname, de.description
        from tbl
        join pg_constraint con on con.conrelid = tbl.oid
        left join pg_class fc on fc.oid = con.confrelid
        left join pg_namespace fn on fn.oid = fc.relnamespace
        left join pg_description de on de.objoid = con.oid and de.classoid = 'pg_constraint'::regclass and de.objsubid = 0
        where con.contype in ('p', 'u', 'c', 'f', 'x') and con.conparentid = 0 and con.conislocal
        order by con.conrelid, con.conname
        """

    static let indexes = managedTables + """
        select i.indrelid::text, ic.relname, pg_get_indexdef(i.indexrelid), de.description
        from tbl
        join pg_index i on i.indrelid = tbl.oid
        join pg_class ic on ic.oid = i.indexrelid
        left join pg_description de on de.objoid = i.indexrelid and de.classoid = 'pg_class'::regclass and de.objsubid = 0
        where not exists (select 1 from pg_constraint con
                          where con.conrelid = i.indrelid and con.conindid = i.indexrelid
                            and con.contype in ('p', 'u', 'x'))
          and not exists (select 1 from pg_inherits ii where ii.inhrelid = i.indexrelid)
        order by i.indrelid, ic.relname
        """

    static let sequences = managedNamespaces + """
        select ns.nspname, c.relname, format_type(s.seqtypid, null), s.seqstart::text, s.seqincrement::text,
               s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle,
               own_ns.nspname, own_c.relname, own_a.attname, obj_description(c.oid, 'pg_class')
        from pg_sequence s
        join pg_class c on c.oid = s.seqrelid
        join ns on ns.oid = c.relnamespace
        left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
              and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype = 'a'
        left join pg_class own_c on own_c.oid = d.refobjid
        left join pg_namespace own_ns on own_ns.oid = own_c.relnamespace
        left join pg_attribute own_a on own_a.attrelid = d.refobjid and own_a.attnum = d.refobjsubid
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
