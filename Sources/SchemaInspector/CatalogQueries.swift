import SchemaModel

/// The catalog SQL the inspector runs, one bulk query per object kind.
///
/// The queries on schemas and tables take `$1`, a text array of the managed schema names, or
/// NULL for every non-system schema; those on what is in a table take the table oids.
/// Objects that belong to an extension are left out: the extension manages them. Run with
/// `search_path = pg_catalog` so that PostgreSQL prints every name outside pg_catalog
/// schema-qualified.
enum CatalogQueries {
    /// The managed namespaces, as a CTE named `ns` every query starts with, followed by the
    /// members of extensions (`extension_member`, found through the index on what they
    /// depend on rather than a search of `pg_depend` per object). PostgreSQL evaluates a CTE
    /// only where a query uses it.
    static let managedNamespaces = """
        with ns as (
            select n.oid, n.nspname
            from pg_namespace n
            where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
              and n.nspname !~ '^pg_(toast_)?temp_'
              and ($1::text[] is null or n.nspname = any($1::text[]))
              and not exists (select 1 from pg_depend d
                              where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
        ), extension_member as materialized (
            select d.classid, d.objid from pg_depend d
            where d.refclassid = 'pg_extension'::regclass and d.deptype = 'e'
        )
        """

    /// Relations owned by an extension, excluded everywhere.
    static let notExtensionMember = """
        c.oid not in (select objid from extension_member where classid = 'pg_class'::regclass)
        """

    /// Tables the model covers: ordinary, partitioned, partitions and tables in a classic
    /// inheritance tree, and foreign tables, except those with an option that looks like a
    /// secret (never read into the model; the census lists them with the value hidden) and
    /// foreign partitions with column options (a partition's columns are its parent's).
    static let plainTable = """
        (c.relkind in ('r', 'p')
         or (c.relkind = 'f'
             and not exists (select from pg_foreign_table f, unnest(f.ftoptions) o
                             where f.ftrelid = c.oid and \(secretOption("o")))
             and not exists (select from pg_attribute fa, unnest(fa.attfdwoptions) o
                             where fa.attrelid = c.oid and (c.relispartition or \(secretOption("o"))))))
        """

    /// Whether the option `option` (`key=value`) looks like a secret (`ForeignOptions.isSecret`).
    static func secretOption(_ option: String) -> String {
        "split_part(\(option), '=', 1) ~* '(\(ForeignOptions.secretWords.joined(separator: "|")))'"
    }

    static let schemas = managedNamespaces + """
        select ns.nspname, obj_description(ns.oid, 'pg_namespace'), \(privileges("n.nspacl", kind: "n", owner: "n.nspowner")), n.oid,
               \(owner("n.nspowner"))
        from ns join pg_namespace n on n.oid = ns.oid order by 1
        """

    /// A left join of the comment on an object as `de` (a join rather than one
    /// `obj_description` call per row).
    static func comment(on object: String, in catalog: String, column: String = "0") -> String {
        "left join pg_description de on de.objoid = \(object) and de.classoid = '\(catalog)'::regclass and de.objsubid = \(column)"
    }

    static let tables = managedNamespaces + """
        select c.oid, ns.nspname, c.relname, c.relpersistence, de.description,
               \(owner("c.relowner")),
               case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
               pn.nspname, pc.relname, case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end,
               quote_ident(ns.nspname) || '.' || quote_ident(c.relname),
               c.relrowsecurity, c.relforcerowsecurity, \(privileges("c.relacl", kind: "r", owner: "c.relowner")),
               inh.parent_schemas, inh.parent_names,
               array_cat(c.reloptions, (select array_agg('toast.' || o order by n)
                                        from pg_class t, unnest(t.reloptions) with ordinality u(o, n)
                                        where t.oid = c.reltoastrelid))::text,
               case when c.relkind = 'f' then 'd' else c.relreplident::text end,
               case when c.relreplident = 'i' then (select ic.relname from pg_index ri join pg_class ic on ic.oid = ri.indexrelid
                                                    where ri.indrelid = c.oid and ri.indisreplident) end,
               case when c.relhasindex
                    then (select ic.relname from pg_index ci join pg_class ic on ic.oid = ci.indexrelid
                          where ci.indrelid = c.oid and ci.indisclustered) end,
               fs.srvname, array_to_string(ft.ftoptions, E'\\x1e')
        from pg_class c join ns on ns.oid = c.relnamespace
        left join pg_foreign_table ft on ft.ftrelid = c.oid
        left join pg_foreign_server fs on fs.oid = ft.ftserver
        left join (select i2.inhrelid, array_agg(n2.nspname order by i2.inhseqno)::text as parent_schemas,
                          array_agg(p2.relname order by i2.inhseqno)::text as parent_names
                   from pg_inherits i2 join pg_class ch on ch.oid = i2.inhrelid and not ch.relispartition
                   join pg_class p2 on p2.oid = i2.inhparent join pg_namespace n2 on n2.oid = p2.relnamespace
                   group by i2.inhrelid) inh on inh.inhrelid = c.oid
        left join pg_inherits pi on c.relispartition and pi.inhrelid = c.oid
        left join pg_class pc on pc.oid = pi.inhparent
        left join pg_namespace pn on pn.oid = pc.relnamespace
        \(comment(on: "c.oid", in: "pg_class"))
        where \(plainTable) and \(notExtensionMember)
        """

    /// Columns of the tables in `$1` (oids; partitions left out, their columns are their
    /// parent's), in no particular order. Filtering `pg_attribute` by the oid list directly,
    /// rather than joining it to the table list, keeps it from being hashed whole. What
    /// depends only on the type (its name, kind, storage, collation) is read once per
    /// distinct type (`types`), non-default collations once each (`collations`), and the
    /// default or generation expression is its stored node tree and `pg_attrdef` oid,
    /// printed once per distinct expression (`defaultExpressions`).
    /// Also each column's statistics target (when set), compression (PostgreSQL 14 on) and
    /// options (`n_distinct` …).
    static func columns(serverVersion: Int) -> String {
        let compression = serverVersion >= 140000 ? "nullif(a.attcompression::text, '')" : "null::text"
        return columnsHead + ",\n       case when a.attstattarget >= 0 then a.attstattarget end, \(compression), "
            + "a.attoptions::text, array_to_string(a.attfdwoptions, E'\\x1e')\n" + columnsTail
    }

    private static let columnsHead = """
        select a.attrelid, a.attname, a.attnotnull, ad.adbin, a.attidentity, a.attgenerated,
               de.description, a.attnum, a.atttypid, a.attcollation,
               nullif(quote_ident(a.attname), a.attname), a.attstorage, a.atttypmod, ad.oid,
               a.attacl,
               case when a.attacl is not null then (select pg_get_userbyid(c.relowner) from pg_class c where c.oid = a.attrelid) end,
               a.attislocal
        """

    private static let columnsTail = """
        from pg_attribute a
        left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        \(comment(on: "a.attrelid", in: "pg_class", column: "a.attnum"))
        where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
        """

    /// The types with modifiers `$1` (oids) and `$2`, in that order: `format_type`, kind
    /// (`typtype`), category, storage and collation.
    static let types = """
        select format_type(x.type, x.modifier), t.typtype, t.typcategory, t.typstorage, t.typcollation
        from unnest($1::oid[], $2::int4[]) with ordinality x(type, modifier, n)
        join pg_type t on t.oid = x.type
        order by x.n
        """

    /// Schema and name of the collations `$1` (oids).
    static let collations = """
        select c.oid, n.nspname, c.collname
        from pg_collation c join pg_namespace n on n.oid = c.collnamespace
        where c.oid = any($1::oid[])
        """

    /// The expressions of the `pg_attrdef` rows in `$1` (oids) as PostgreSQL prints them.
    static let defaultExpressions = """
        select d.oid, \(expression("d.adbin", relation: "d.adrelid"))
        from unnest($1::oid[]) x(oid) join pg_attrdef d on d.oid = x.oid
        """

    /// Sequences: each row is either an identity sequence of one of the tables in `$2` (oids;
    /// `deptype` 'i', with the table oid and column number) or a sequence of a managed schema
    /// that belongs to no extension (with the column it is OWNED BY, if any). One pass over
    /// `pg_sequence` for both, dependencies found through the index per sequence.
    static let sequences = managedNamespaces + """
        select sn.nspname, sc.relname, format_type(s.seqtypid, null), s.seqstart, s.seqincrement,
               s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
               own.nspname, own.relname, own.attname, de.description,
               dep.deptype, dep.refobjid, dep.refobjsubid,
               \(privileges("sc.relacl", kind: "s", owner: "sc.relowner")), s.seqrelid, sc.relpersistence = 'u'
        from pg_sequence s
        join pg_class sc on sc.oid = s.seqrelid
        join pg_namespace sn on sn.oid = sc.relnamespace
        left join lateral (select d.deptype, d.refobjid, d.refobjsubid from pg_depend d
                           where d.classid = 'pg_class'::regclass and d.objid = s.seqrelid
                             and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype in ('a', 'i')
                           limit 1) dep on true
        left join lateral (select oc.relname, onn.nspname, oa.attname
                           from pg_class oc
                           join pg_namespace onn on onn.oid = oc.relnamespace
                           join pg_attribute oa on oa.attrelid = oc.oid and oa.attnum = dep.refobjsubid
                           where oc.oid = dep.refobjid and dep.deptype = 'a' offset 0) own on true
        \(comment(on: "s.seqrelid", in: "pg_class"))
        where case when dep.deptype = 'i' then dep.refobjid = any($2::oid[])
                   else sn.oid in (select oid from ns)
                        and s.seqrelid not in (select objid from extension_member where classid = 'pg_class'::regclass) end
        """

    /// Constraints of the tables `$1` (oids), with what `CatalogSpelling` needs to spell
    /// primary keys, unique constraints, foreign keys and checks itself (`pg_get_constraintdef`
    /// looks every column name up one at a time, and opens the table of every check). The
    /// definition column is `pg_get_constraintdef` for every other kind and shape (exclusions,
    /// INCLUDE, NULLS NOT DISTINCT, ON DELETE SET NULL (columns), periods, NOT ENFORCED), NULL
    /// otherwise.
    static func constraints(serverVersion: Int) -> String {
        // Whether a primary key or unique constraint's index has INCLUDE columns or NULLS NOT
        // DISTINCT: asked of that one index (a join with all of pg_index costs more).
        let unusualIndex = "ix.indnatts <> ix.indnkeyatts" + (serverVersion >= 150000 ? " or ix.indnullsnotdistinct" : "")
        var unusual = ["con.contype not in ('p', 'u', 'f', 'c')",
                       "con.contype in ('p', 'u') and exists (select from pg_index ix where ix.indexrelid = con.conindid and (\(unusualIndex)))"]
        if serverVersion >= 150000 { unusual.append("con.confdelsetcols is not null") }
        if serverVersion >= 170000 { unusual.append("con.conperiod") }
        if serverVersion >= 180000 { unusual.append("not con.conenforced") }
        // A foreign key's referenced table is named by the client when it is one of the
        // tables `$1`; only the others are looked up here.
        let unmanagedReference = "con.contype = 'f' and not con.confrelid = any($1::oid[])"
        return """
        select con.conrelid, con.conname, con.contype,
               case when \(unusual.map { "(\($0)) is true" }.joined(separator: " or "))
                    then pg_get_constraintdef(con.oid) end,
               case when \(unmanagedReference) then
                   (select fn.nspname from pg_class fc join pg_namespace fn on fn.oid = fc.relnamespace where fc.oid = con.confrelid) end,
               case when \(unmanagedReference) then (select fc.relname from pg_class fc where fc.oid = con.confrelid) end,
               de.description, con.oid, con.conkey, con.confkey,
               con.confrelid, con.confmatchtype, con.confupdtype, con.confdeltype,
               con.condeferrable, con.condeferred, con.convalidated,
               case when con.contype = 'c' then con.conbin end, con.connoinherit
        from pg_constraint con
        \(comment(on: "con.oid", in: "pg_constraint"))
        where con.conrelid = any($1::oid[]) and con.contype in ('p', 'u', 'c', 'f', 'x')
          and con.conparentid = 0 and con.conislocal
        """
    }

    /// `pg_get_constraintdef` of the constraints in `$1` (oids), for those the client could
    /// not spell.
    static let constraintDefinitions = """
        select x.oid, pg_get_constraintdef(x.oid) from unnest($1::oid[]) x(oid)
        """

    /// `pg_get_expr(node, relation)`, but without naming the relation when the expression
    /// refers to no column (most defaults): `pg_get_expr` then prints the same text without
    /// opening the relation, which for thousands of tables is most of the inspection time.
    static func expression(_ node: String, relation: String) -> String {
        "pg_get_expr(\(node), case when \(node)::text like '%{VAR %' then \(relation) else 0 end)"
    }

    /// Indexes of the relations `$1` (oids), with what `CatalogSpelling` needs to spell them
    /// itself (key columns and expressions, predicate): `pg_get_indexdef` opens the table of
    /// every index it prints, which for thousands of tables is most of an inspection. The
    /// definition column is `pg_get_indexdef` for shapes never spelled by the client (storage
    /// parameters, NULLS NOT DISTINCT), NULL otherwise.
    static func indexes(serverVersion: Int) -> String {
        // NULLS NOT DISTINCT exists from PostgreSQL 15 on.
        let distinctNulls = serverVersion >= 150000 ? " or i.indnullsnotdistinct" : ""
        return """
        select i.indrelid, ic.relname,
               case when ic.reloptions is not null\(distinctNulls) then pg_get_indexdef(i.indexrelid) end,
               de.description, i.indexrelid, quote_ident(ic.relname), i.indisunique, ic.relkind = 'I',
               ic.relam, quote_ident(am.amname), i.indnkeyatts, i.indkey, i.indclass,
               i.indcollation, i.indoption, i.indexprs, i.indpred,
               (select array_agg(a.attnum || '=' || a.attstattarget order by a.attnum) from pg_attribute a
                where a.attrelid = i.indexrelid and a.attstattarget >= 0)::text,
               not (i.indisvalid and i.indisready)
        from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_am am on am.oid = ic.relam
        \(comment(on: "i.indexrelid", in: "pg_class"))
        where i.indrelid = any($1::oid[])
          and not exists (select 1 from pg_constraint con
                          where con.conrelid = i.indrelid and con.conindid = i.indexrelid
                            and con.contype in ('p', 'u', 'x'))
          and not exists (select 1 from pg_inherits ii where ii.inhrelid = i.indexrelid)
        """
    }

    /// What `ExpressionSpelling` needs to know: operators (`$1`), functions (`$2`) and types
    /// (`$3`, with the modifiers in `$4`) by oid, and the server's architecture and string
    /// settings. Rows are tagged `o`, `f`, `t` and `s`.
    static let expressionFacts = """
        select 'o', o.oid::text, o.oprname::text, o.oprnamespace::text, o.oprleft::text, o.oprright::text
        from pg_operator o where o.oid = any($1::oid[])
        union all
        select 'f', p.oid::text, quote_ident(p.proname), p.pronamespace::text, p.proargtypes::text,
               (p.provariadic = 0 and not p.proretset and p.prokind = 'f')::text
        from pg_proc p where p.oid = any($2::oid[])
        union all
        select 't', x.type::text, format_type(x.type, x.modifier), t.typtype::text, t.typcollation::text, x.modifier::text
        from unnest($3::oid[], $4::int4[]) x(type, modifier) join pg_type t on t.oid = x.type
        union all
        select 's', version(), current_setting('standard_conforming_strings'), current_setting('server_encoding'), null, null
        """

    /// `pg_get_indexdef` of the indexes in `$1` (oids), for those the client could not spell.
    static let indexDefinitions = """
        select x.oid, pg_get_indexdef(x.oid) from unnest($1::oid[]) x(oid)
        """

    /// Operator classes, to tell a column's default one (which definitions leave out).
    static let operatorClasses = """
        select oid::text, opcmethod::text, opcintype::text, opcdefault from pg_opclass
        """

    static let enums = managedNamespaces + """
        select ns.nspname, t.typname,
               (select array_agg(e.enumlabel order by e.enumsortorder)::text from pg_enum e where e.enumtypid = t.oid),
               obj_description(t.oid, 'pg_type'), \(privileges("t.typacl", kind: "T", owner: "t.typowner")), t.oid::text
        from pg_type t join ns on ns.oid = t.typnamespace
        where t.typtype = 'e'
          and not exists (select 1 from pg_depend e
                          where e.classid = 'pg_type'::regclass and e.objid = t.oid and e.deptype = 'e')
        order by 1, 2
        """

    /// The indexes of the partitions `$1` (oids) attached to an index of their parent: the
    /// partition, the parent index's name and the index's own, its storage parameters,
    /// comment and statistics targets.
    static let partitionIndexes = """
        select i.indrelid, pi.relname, ci.relname, ci.reloptions::text, obj_description(ci.oid, 'pg_class'),
               (select array_agg(a.attnum || '=' || a.attstattarget order by a.attnum) from pg_attribute a
                where a.attrelid = i.indexrelid and a.attstattarget >= 0)::text
        from pg_index i
        join pg_inherits h on h.inhrelid = i.indexrelid
        join pg_class ci on ci.oid = i.indexrelid
        join pg_class pi on pi.oid = h.inhparent
        where i.indrelid = any($1::oid[])
        """

    static let extensions = managedNamespaces + """
        select x.extname, ns.nspname, x.oid, obj_description(x.oid, 'pg_extension')
        from pg_extension x join ns on ns.oid = x.extnamespace
        where x.extname <> 'plpgsql'
        order by 1
        """
}

extension CatalogQueries {
    /// Collations created in the managed schemas (not those of extensions). The ICU locale
    /// column is `colliculocale` before PostgreSQL 17 and `colllocale` from it; ICU rules
    /// exist from PostgreSQL 16.
    static func collations(serverVersion: Int) -> String {
        let locale = serverVersion >= 170000 ? "co.colllocale" : "co.colliculocale"
        let rules = serverVersion >= 160000 ? "co.collicurules" : "null::text"
        return managedNamespaces + """
            select ns.nspname, co.collname, co.collprovider::text, co.collisdeterministic, co.collcollate, co.collctype,
                   \(locale), \(rules), obj_description(co.oid, 'pg_collation'), \(owner("co.collowner")), co.oid
            from pg_collation co join ns on ns.oid = co.collnamespace
            where co.oid not in (select objid from extension_member where classid = 'pg_collation'::regclass)
            order by 1, 2
            """
    }
}

extension CatalogQueries {
    /// Rewrite rules on the managed tables and views, other than views' `_RETURN` rules.
    static let rules = managedNamespaces + """
        select ns.nspname, c.relname, r.rulename, pg_get_ruledef(r.oid), r.ev_enabled::text, de.description, r.oid
        from pg_rewrite r join pg_class c on c.oid = r.ev_class join ns on ns.oid = c.relnamespace
        \(comment(on: "r.oid", in: "pg_rewrite"))
        where r.rulename <> '_RETURN' and \(notExtensionMember)
        order by 1, 2, 3
        """
}

