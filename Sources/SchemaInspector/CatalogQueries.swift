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

    /// Ordinary tables: not partitioned, not partitions, not in an inheritance tree (those are
    /// reported as other objects until the engine models them).
    static let plainTable = """
        c.relkind = 'r' and not c.relispartition
          and not exists (select 1 from pg_inherits i where i.inhrelid = c.oid or i.inhparent = c.oid)
        """

    static let schemas = managedNamespaces + """
        select ns.nspname, obj_description(ns.oid, 'pg_namespace')
        from ns order by 1
        """

    static let tables = managedNamespaces + """
        select c.oid::text, ns.nspname, c.relname, c.relpersistence, obj_description(c.oid, 'pg_class')
        from pg_class c join ns on ns.oid = c.relnamespace
        where \(plainTable) and \(notExtensionMember)
        order by 2, 3
        """

    static let columns = managedNamespaces + """
        select a.attrelid::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
               cn.nspname, co.collname, col_description(a.attrelid, a.attnum),
               sn.nspname, sc.relname, format_type(s.seqtypid, null), s.seqstart::text, s.seqincrement::text,
               s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join ns on ns.oid = c.relnamespace
        join pg_type t on t.oid = a.atttypid
        left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        left join pg_collation co on co.oid = a.attcollation and a.attcollation <> t.typcollation
        left join pg_namespace cn on cn.oid = co.collnamespace
        left join pg_depend sd on a.attidentity <> '' and sd.refclassid = 'pg_class'::regclass and sd.refobjid = a.attrelid
              and sd.refobjsubid = a.attnum and sd.classid = 'pg_class'::regclass and sd.deptype = 'i'
        left join pg_sequence s on s.seqrelid = sd.objid
        left join pg_class sc on sc.oid = s.seqrelid
        left join pg_namespace sn on sn.oid = sc.relnamespace
        where a.attnum > 0 and not a.attisdropped and \(plainTable) and \(notExtensionMember)
        order by a.attrelid, a.attnum
        """

    static let constraints = managedNamespaces + """
        select con.conrelid::text, con.conname, con.contype, pg_get_constraintdef(con.oid),
               fn.nspname, fc.relname, obj_description(con.oid, 'pg_constraint')
        from pg_constraint con
        join pg_class c on c.oid = con.conrelid
        join ns on ns.oid = c.relnamespace
        left join pg_class fc on fc.oid = con.confrelid
        left join pg_namespace fn on fn.oid = fc.relnamespace
        where con.contype in ('p', 'u', 'c', 'f', 'x') and \(plainTable) and \(notExtensionMember)
        order by con.conrelid, con.conname
        """

    static let indexes = managedNamespaces + """
        select i.indrelid::text, ic.relname, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class')
        from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_class c on c.oid = i.indrelid
        join ns on ns.oid = c.relnamespace
        where \(plainTable) and \(notExtensionMember)
          and not exists (select 1 from pg_constraint con
                          where con.conrelid = i.indrelid and con.conindid = i.indexrelid
                            and con.contype in ('p', 'u', 'x'))
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
                                  when 'f' then 'foreign table' when 'p' then 'partitioned table'
                                  when 'c' then 'composite type'
                                  else case when c.relispartition then 'partition' else 'inheriting table' end end as kind,
                   ns.nspname || '.' || c.relname as identity,
                   case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) else '' end as definition
            from pg_class c join ns on ns.oid = c.relnamespace
            where \(notExtensionMember)
              and (c.relkind in ('v', 'm', 'f', 'p', 'c')
                   or (c.relkind = 'r' and not (\(plainTable))))
            union all
            select 'row-level security', ns.nspname || '.' || c.relname,
                   case when c.relforcerowsecurity then 'forced' else 'enabled' end
            from pg_class c join ns on ns.oid = c.relnamespace
            where c.relrowsecurity
            union all
            select case t.typtype when 'd' then 'domain' else 'range type' end,
                   ns.nspname || '.' || t.typname,
                   case t.typtype when 'd' then format_type(t.typbasetype, t.typtypmod) else '' end
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
                   pol.polcmd::text || ' ' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || ' '
                   || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')
            from pg_policy pol join pg_class c on c.oid = pol.polrelid join ns on ns.oid = c.relnamespace
        ) o
        order by 1, 2
        """
}
