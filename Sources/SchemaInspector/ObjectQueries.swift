import SchemaModel
/// Catalog SQL for the objects beyond tables: views, routines, triggers, policies, domains,
/// composite and range types, privileges and dependencies. Like the table queries, each
/// reads one kind in bulk and leaves out what an extension owns.
extension CatalogQueries {
    /// An object's effective privileges as an ACL text (a NULL ACL read as the default for
    /// `kind`, see `acldefault`), then its owner's name.
    static func privileges(_ acl: String, kind: String, owner: String) -> String {
        "coalesce(\(acl), acldefault('\(kind)', \(owner)))::text, pg_get_userbyid(\(owner))"
    }

    /// The privileges (as `privileges` gives them) of the objects `$1` (oids) of a managed
    /// kind's catalog.
    static func acls(_ catalog: String, _ spec: ManagedPrivileges) -> String {
        let effective = privileges("x.\(spec.aclColumn)", kind: String(spec.defaultLetter),
                                   owner: "x.\(spec.ownerColumn)")
        return """
        select x.oid, \(effective)
        from pg_catalog.\(catalog) x where x.oid = any($1::oid[])
        """
    }

    /// Owner when it is not the connecting role.
    static func owner(_ owner: String) -> String {
        "nullif(pg_get_userbyid(\(owner)), current_user::text)"
    }

    /// Views and materialized views.
    static let views = managedNamespaces + """
        select c.oid::text, ns.nspname, c.relname, c.relkind = 'm', pg_get_viewdef(c.oid), c.reloptions::text,
               de.description, \(owner("c.relowner")), \(privileges("c.relacl", kind: "r", owner: "c.relowner"))
        from pg_class c join ns on ns.oid = c.relnamespace
        \(comment(on: "c.oid", in: "pg_class"))
        where c.relkind in ('v', 'm') and \(notExtensionMember)
        """

    /// Output columns of the views `$1` (oids).
    static let viewColumns = """
        select a.attrelid::text, a.attnum::text, a.attname, format_type(a.atttypid, a.atttypmod), de.description, a.attacl::text,
               pg_get_expr(ad.adbin, ad.adrelid), ad.oid
        from pg_attribute a
        \(comment(on: "a.attrelid", in: "pg_class", column: "a.attnum"))
        left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
        where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
        """

    /// Functions, procedures and aggregates. An aggregate's `CREATE AGGREGATE` statement is
    /// put together from `pg_aggregate` (PostgreSQL has no function that prints one).
    static let routines = managedNamespaces + """
        select p.oid::text, ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind,
               case when p.prokind = 'a' then
                   'CREATE AGGREGATE ' || quote_ident(ns.nspname) || '.' || quote_ident(p.proname) || '('
                   || coalesce(nullif(pg_get_function_arguments(p.oid), ''), '*') || ') (SFUNC = ' || ag.aggtransfn::regproc::text
                   || ', STYPE = ' || format_type(ag.aggtranstype, null)
                   || case when ag.aggtransspace <> 0 then ', SSPACE = ' || ag.aggtransspace else '' end
                   || case when ag.aggfinalfn <> 0 then ', FINALFUNC = ' || ag.aggfinalfn::regproc::text else '' end
                   || case when ag.aggfinalextra then ', FINALFUNC_EXTRA' else '' end
                   || case when ag.aggfinalfn <> 0 and ag.aggfinalmodify <> case ag.aggkind when 'n' then 'r' else 'w' end
                           then ', FINALFUNC_MODIFY = ' || case ag.aggfinalmodify when 'r' then 'READ_ONLY' when 's' then 'SHAREABLE'
                                                                                  else 'READ_WRITE' end else '' end
                   || case when ag.aggcombinefn <> 0 then ', COMBINEFUNC = ' || ag.aggcombinefn::regproc::text else '' end
                   || case when ag.aggserialfn <> 0 then ', SERIALFUNC = ' || ag.aggserialfn::regproc::text else '' end
                   || case when ag.aggdeserialfn <> 0 then ', DESERIALFUNC = ' || ag.aggdeserialfn::regproc::text else '' end
                   || coalesce(', INITCOND = ' || quote_literal(ag.agginitval), '')
                   || case when ag.aggmtransfn <> 0 then ', MSFUNC = ' || ag.aggmtransfn::regproc::text
                                                      || ', MINVFUNC = ' || ag.aggminvtransfn::regproc::text
                                                      || ', MSTYPE = ' || format_type(ag.aggmtranstype, null) else '' end
                   || case when ag.aggmfinalfn <> 0 then ', MFINALFUNC = ' || ag.aggmfinalfn::regproc::text else '' end
                   || case when ag.aggmfinalextra then ', MFINALFUNC_EXTRA' else '' end
                   || coalesce(', MINITCOND = ' || quote_literal(ag.aggminitval), '')
                   || case when ag.aggsortop <> 0 then ', SORTOP = ' || ag.aggsortop::regoperator::text else '' end
                   || case when ag.aggkind = 'h' then ', HYPOTHETICAL' else '' end
                   || case p.proparallel when 's' then ', PARALLEL = SAFE' when 'r' then ', PARALLEL = RESTRICTED' else '' end
                   || ')'
               else pg_get_functiondef(p.oid) end,
               p.prokind::text || ' ' || pg_get_function_arguments(p.oid) || ' -> ' || coalesce(pg_get_function_result(p.oid), ''),
               de.description, \(owner("p.proowner")), \(privileges("p.proacl", kind: "f", owner: "p.proowner"))
        from pg_proc p join ns on ns.oid = p.pronamespace
        left join pg_aggregate ag on ag.aggfnoid = p.oid
        \(comment(on: "p.oid", in: "pg_proc"))
        where p.oid not in (select objid from extension_member where classid = 'pg_proc'::regclass)
        """

    /// Triggers (not internal ones, nor the clones a partitioned table's trigger makes on
    /// its partitions).
    static func triggers(serverVersion: Int) -> String {
        managedNamespaces + """
        select tg.oid::text, ns.nspname, c.relname, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled, de.description
        from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join ns on ns.oid = c.relnamespace
        \(comment(on: "tg.oid", in: "pg_trigger"))
        where not tg.tgisinternal and \(serverVersion >= 130000 ? "tg.tgparentid = 0" : "true") and \(notExtensionMember)
        """
    }

    /// Domains, composite types and range types (enums have their own query).
    static func types(serverVersion: Int) -> String {
        let multirange = serverVersion >= 140000
            ? """
              , 'MULTIRANGE_TYPE_NAME = ' || (select quote_ident(mn.nspname) || '.' || quote_ident(mt.typname)
                                              from pg_type mt join pg_namespace mn on mn.oid = mt.typnamespace
                                              where mt.oid = r.rngmultitypid)
              """
            : ""
        return managedNamespaces + """
        select t.oid::text, ns.nspname, t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull,
               t.typdefault,
               dcn.nspname,
               de.description, \(owner("t.typowner")), \(privileges("t.typacl", kind: "T", owner: "t.typowner")),
               t.typrelid::text,
               case when t.typtype = 'r' then array_to_string(array[
                   'SUBTYPE = ' || format_type(r.rngsubtype, null),
                   case when not oc.opcdefault then 'SUBTYPE_OPCLASS = ' || quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) end,
                   case when r.rngcollation <> 0 and r.rngcollation <> (select b.typcollation from pg_type b where b.oid = r.rngsubtype)
                        then 'COLLATION = ' || (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                                                 from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
                                                 where co.oid = r.rngcollation) end,
                   case when r.rngcanonical <> 0 then 'CANONICAL = ' || r.rngcanonical::regproc::text end,
                   case when r.rngsubdiff <> 0 then 'SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text end
                   \(multirange)], e'\\n') end,
               dco.collname
        from pg_type t join ns on ns.oid = t.typnamespace
        left join pg_collation dco on t.typtype = 'd' and t.typcollation <> 0 and dco.oid = t.typcollation
                                   and t.typcollation <> (select b.typcollation from pg_type b where b.oid = t.typbasetype)
        left join pg_namespace dcn on dcn.oid = dco.collnamespace
        left join pg_range r on r.rngtypid = t.oid
        left join pg_opclass oc on oc.oid = r.rngsubopc
        left join pg_namespace ocn on ocn.oid = oc.opcnamespace
        \(comment(on: "t.oid", in: "pg_type"))
        where (t.typtype in ('d', 'r') or (t.typtype = 'c' and t.typrelid in (select c.oid from pg_class c where c.relkind = 'c')))
          and t.oid not in (select objid from extension_member where classid = 'pg_type'::regclass)
        """
    }

    /// Check constraints of the domains `$1` (oids).
    static let domainConstraints = """
        select co.contypid::text, co.conname, pg_get_constraintdef(co.oid), de.description, co.oid::text
        from pg_constraint co
        \(comment(on: "co.oid", in: "pg_constraint"))
        where co.contypid = any($1::oid[]) and co.contype = 'c'
        """

    /// Attributes of the composite types whose relations are `$1` (oids), in order.
    static let compositeAttributes = """
        select a.attrelid::text, a.attname, format_type(a.atttypid, a.atttypmod), cn.nspname, co.collname
        from pg_attribute a join pg_type t on t.oid = a.atttypid
        left join pg_collation co on a.attcollation <> 0 and a.attcollation <> t.typcollation and co.oid = a.attcollation
        left join pg_namespace cn on cn.oid = co.collnamespace
        where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
        order by a.attrelid, a.attnum
        """

    /// Default privileges (`pg_default_acl`), with the built-in defaults a database-wide
    /// entry replaces (rows tagged `d`), so an entry can be compared with no entry.
    static let defaultPrivileges = """
        select 'e', pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype::text, d.defaclacl::text,
               d.defaclrole = (select oid from pg_roles where rolname = current_user), d.oid
        from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
        union all
        select 'd', current_user::text, null, k, acldefault((case k when 'S' then 's' else k end)::"char", (select oid from pg_roles where rolname = current_user))::text, null, null::oid
        from unnest(array['r', 'S', 'f', 'T', 'n']) k
        """

    /// What depends on what: normal entries of `pg_depend` as oids, each side tagged with
    /// its catalog (`c` relation, `p` routine, `t` type, `d` default, `k` constraint,
    /// `g` trigger, `m` one of `managed`, the catalogs of the managed kinds, named
    /// in the last two columns), which the inspector turns into `ObjectKey`s with the oids
    /// it read. A view's rewrite rule is given as the view, an array type as its element
    /// type, and a row type as its relation.
    static func dependencies(managed: [String], parts: [(owner: String, part: ManagedPart)]) -> String {
        let catalogs = managed.map { "'\($0)'::regclass" }.joined(separator: ", ")
        // A part's dependencies (an operator class member's on its operator) are its owner's.
        let depend = (["select classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype from pg_depend"]
            + parts.map { owner, part in
                """
                select '\(owner)'::regclass, o.oid, 0, d.refclassid, d.refobjid, d.refobjsubid, d.deptype
                from pg_depend d cross join lateral (select \(part.owner) as oid) o
                where d.classid = '\(part.catalog)'::regclass and d.objid >= 16384 and o.oid is not null
                """
            }).joined(separator: "\nunion all ")
        return """
            select case when d.classid = any(array[\(catalogs)]) then 'm'
                        else case d.classid when 'pg_class'::regclass then 'c' when 'pg_rewrite'::regclass then 'c'
                                  when 'pg_proc'::regclass then 'p' when 'pg_attrdef'::regclass then 'd'
                                  when 'pg_constraint'::regclass then 'k' when 'pg_trigger'::regclass then 'g'
                                  else case when dt.typrelid <> 0 then 'c' else 't' end end end,
                   case d.classid when 'pg_rewrite'::regclass then rw.ev_class
                                  when 'pg_type'::regclass
                                  then case when dt.typrelid <> 0 then dt.typrelid
                                            when dt.typcategory = 'A' and dt.typelem <> 0 then dt.typelem
                                            else dt.oid end
                                  else d.objid end::text,
                   case when d.classid = 'pg_class'::regclass then d.objsubid else 0 end::text,
                   case when d.refclassid = any(array[\(catalogs)]) then 'm'
                        else case d.refclassid when 'pg_class'::regclass then 'c' when 'pg_proc'::regclass then 'p'
                                     else case when rt.typrelid <> 0 then 'c' else 't' end end end,
                   case d.refclassid when 'pg_type'::regclass
                                     then case when rt.typrelid <> 0 then rt.typrelid
                                               when rt.typcategory = 'A' and rt.typelem <> 0 then rt.typelem
                                               else rt.oid end
                                     else d.refobjid end::text,
                   case when d.refclassid = 'pg_class'::regclass then d.refobjsubid else 0 end::text,
                   d.classid::regclass::text, d.refclassid::regclass::text
            from (\(depend)) d
            left join pg_rewrite rw on d.classid = 'pg_rewrite'::regclass and rw.oid = d.objid
            left join pg_type dt on d.classid = 'pg_type'::regclass and dt.oid = d.objid
            left join pg_type rt on d.refclassid = 'pg_type'::regclass and rt.oid = d.refobjid
            where d.deptype = 'n'
              and d.classid in ('pg_rewrite'::regclass, 'pg_proc'::regclass, 'pg_trigger'::regclass,
                                'pg_type'::regclass, 'pg_attrdef'::regclass,
                                'pg_constraint'::regclass, 'pg_class'::regclass, \(catalogs))
              and d.refclassid in ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass, \(catalogs))
              -- What foreign keys and defaults use of other tables (referenced keys, sequences)
              -- is planned with the tables: left out, they are most of pg_depend.
              and not (d.classid in ('pg_constraint'::regclass, 'pg_attrdef'::regclass)
                       and d.refclassid = 'pg_class'::regclass)
              and d.objid >= 16384 and d.refobjid >= 16384
            """
    }
}
