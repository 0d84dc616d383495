import Postgres
import SchemaModel

/// The census: every row of the system catalogs that belongs to the managed schemas (or, for
/// database-level objects such as casts, event triggers, foreign data wrappers, servers,
/// publications, to the database) is accounted for. The inspector records the oid of each
/// object it models; the census walks every catalog that has oids, generically, so a row the
/// model does not hold (a kind drover does not manage, or one a query left out by mistake)
/// becomes an `ObjectRef` in `otherObjects`, compared by identity and by every column of its
/// catalog row, and refused when it differs. A catalog a newer PostgreSQL adds is walked the
/// same way. Attributes of modelled objects that the model does not hold are listed in
/// `CatalogCensus.attributes`; those marked `.compared` are read by `comparedAttributes` and
/// a difference in one is refused too.
enum CatalogCensus {
    /// What drover does with the rows of a system catalog.
    enum Role: Equatable {
        /// Rows are objects with oids that the census walks; `namespace` is the column that
        /// places one in a schema (nil: through its dependencies, or database-level).
        case objects(namespace: String?)
        /// Rows are parts of an object in another catalog (an enum's labels, an operator
        /// family's members, a table's columns): accounted with that object.
        case partOf(String)
        /// Statistics, large objects and other data, not schema.
        case data
        /// Bookkeeping of the catalog itself (dependencies, comments, initial privileges).
        case bookkeeping
        /// Shared by every database of the cluster (roles, databases, tablespaces): outside
        /// what a manifest declares.
        case cluster
    }

    /// Every catalog of PostgreSQL 15 (and the ones before it that drover supports). A
    /// catalog missing here is still walked when it has oids; the census test fails on it so
    /// that someone decides what it is.
    static let catalogs: [String: Role] = [
        "pg_aggregate": .partOf("pg_proc"), "pg_am": .objects(namespace: nil), "pg_amop": .partOf("pg_opfamily"),
        "pg_amproc": .partOf("pg_opfamily"), "pg_attrdef": .objects(namespace: nil),
        "pg_attribute": .partOf("pg_class"), "pg_cast": .objects(namespace: Cast.schema(of: "x")),
        "pg_class": .objects(namespace: "relnamespace"), "pg_collation": .objects(namespace: "collnamespace"),
        "pg_constraint": .objects(namespace: "connamespace"), "pg_conversion": .objects(namespace: "connamespace"),
        "pg_default_acl": .objects(namespace: "nullif(defaclnamespace, 0)"), "pg_depend": .bookkeeping,
        "pg_description": .bookkeeping, "pg_enum": .partOf("pg_type"),
        "pg_event_trigger": .objects(namespace: EventTrigger.schema(of: "x")),
        "pg_extension": .objects(namespace: "extnamespace"), "pg_foreign_data_wrapper": .objects(namespace: nil),
        "pg_foreign_server": .objects(namespace: nil), "pg_foreign_table": .partOf("pg_class"),
        "pg_index": .partOf("pg_class"), "pg_inherits": .partOf("pg_class"), "pg_init_privs": .bookkeeping,
        "pg_language": .objects(namespace: nil), "pg_largeobject": .data, "pg_largeobject_metadata": .data,
        "pg_namespace": .objects(namespace: "oid"), "pg_opclass": .objects(namespace: "opcnamespace"),
        "pg_operator": .objects(namespace: "oprnamespace"), "pg_opfamily": .objects(namespace: "opfnamespace"),
        "pg_partitioned_table": .partOf("pg_class"), "pg_policy": .objects(namespace: nil),
        "pg_proc": .objects(namespace: "pronamespace"),
        "pg_publication": .objects(namespace: Publication.schema(of: "x")),
        "pg_publication_namespace": .partOf("pg_publication"), "pg_publication_rel": .partOf("pg_publication"),
        "pg_range": .partOf("pg_type"), "pg_rewrite": .objects(namespace: nil), "pg_seclabel": .bookkeeping,
        "pg_sequence": .partOf("pg_class"), "pg_statistic": .data,
        "pg_statistic_ext": .objects(namespace: "stxnamespace"),
        "pg_statistic_ext_data": .data, "pg_subscription_rel": .data, "pg_transform": .objects(namespace: nil),
        "pg_trigger": .objects(namespace: nil), "pg_ts_config": .objects(namespace: "cfgnamespace"),
        "pg_ts_config_map": .partOf("pg_ts_config"), "pg_ts_dict": .objects(namespace: "dictnamespace"),
        "pg_ts_parser": .objects(namespace: "prsnamespace"), "pg_ts_template": .objects(namespace: "tmplnamespace"),
        "pg_type": .objects(namespace: "typnamespace"), "pg_user_mapping": .objects(namespace: nil),
        // Cluster-wide: roles, their memberships and settings, databases, tablespaces,
        // replication and subscriptions.
        "pg_auth_members": .cluster, "pg_authid": .cluster, "pg_database": .cluster,
        "pg_db_role_setting": .cluster, "pg_parameter_acl": .cluster, "pg_replication_origin": .cluster,
        "pg_shdepend": .cluster, "pg_shdescription": .cluster, "pg_shseclabel": .cluster,
        "pg_subscription": .cluster, "pg_tablespace": .cluster,
    ]

    /// The walk over the catalogs `names` (each with an `oid` column; catalogs whose rows
    /// are parts of other objects, data or bookkeeping are left out): every user object (oid
    /// at least 16384) that is not part of another one (an internal dependency: a table's
    /// row type, an array type, a constraint's index), not an extension's member, and in a
    /// managed schema (`$1`, as the other queries) or of the database itself (nor what hangs
    /// off an extension's member). A row is placed in a schema by its catalog's namespace
    /// column, else by the table or schema it depends on automatically (a trigger, a rule, a
    /// policy, a default). Returns the catalog name and the oid (see `derived` for the rows
    /// PostgreSQL made from another object).
    ///
    /// What the model holds is left out first, cheaply: the catalogs walked are `walked(_:)`
    /// of `names`, in that order, and parameter `$2`, `$3` … is the array of the oids the
    /// model holds of each (the costly dependency checks then run on the few rows left).
    static func walk(_ names: [String], serverVersion: Int) -> String {
        let rows = walked(names).enumerated().map { index, name -> String in
            let namespace: String
            switch catalogs[name] {
            case .objects(let column)?: namespace = column.map { "(\($0))::oid" } ?? "null::oid"
            case nil, .partOf?, .data?, .bookkeeping?, .cluster?: namespace = "null::oid"
            }
            return "select '\(name)'::regclass::oid as classid, oid as objid, nsp from (select oid, \(namespace) as nsp "
                // An anti-join with the unnested array: `oid <> all($n)` would have the
                // planner estimate every element.
                + "from \(source(name)) x where oid >= 16384\(parts[name] ?? "") and not exists "
                + "(select 1 from unnest($\(index + 2)::oid[]) h(oid) where h.oid = x.oid)) r"
                + " where nsp is null or nsp in (select oid from ns)"
        }.joined(separator: "\n        union all ")
        return CatalogQueries.managedNamespaces + """
            , census as (
                \(rows)
            ), placed as (
                select r.classid, r.objid,
                       coalesce(r.nsp,
                                (select c.relnamespace from pg_depend d join pg_class c on c.oid = d.refobjid
                                 where d.classid = r.classid and d.objid = r.objid and d.deptype = 'a'
                                   and d.refclassid = 'pg_class'::regclass limit 1),
                                (select d.refobjid from pg_depend d
                                 where d.classid = r.classid and d.objid = r.objid and d.deptype in ('a', 'n')
                                   and d.refclassid = 'pg_namespace'::regclass limit 1)) as scope
                from census r
                where not exists (select 1 from pg_depend d where d.classid = r.classid and d.objid = r.objid
                                  and d.objsubid = 0 and d.deptype in ('e', 'i'))
                  -- What hangs off an extension's object (a rule on its view, a constraint of
                  -- its table) is the extension's too.
                  and not exists (select 1 from pg_depend d
                                  join extension_member m on m.classid = d.refclassid and m.objid = d.refobjid
                                  where d.classid = r.classid and d.objid = r.objid and d.deptype in ('a', 'i'))
            )
            select p.classid::regclass::text, p.objid
            from placed p
            where p.scope is null or p.scope in (select oid from ns)
            """
    }

    /// Which of the rows the walk found (`$1` catalog names, `$2` oids) PostgreSQL derived
    /// from another object: an index or trigger cloned onto a partition, an inherited or
    /// cloned constraint, a partition's copy of its parent's default. Asked apart from the
    /// walk, and only when it found any row, because planning these tests costs more than
    /// running them on the few rows left.
    static func derived(serverVersion: Int) -> String {
        """
        select p.catalog, p.objid
        from unnest($1::text[], $2::oid[]) p(catalog, objid)
        where exists (select 1 from pg_depend d where d.classid = p.catalog::regclass and d.objid = p.objid
                      and d.deptype = 'P')
           or exists (select 1 from pg_constraint con where p.catalog = 'pg_constraint'
                      and con.oid = p.objid and (con.conparentid <> 0 or not con.conislocal))
           or exists (\(partitionDefault))
           \(serverVersion >= 130000 ? clonedTrigger : "")
        """
    }

    /// Rows of a walked catalog that PostgreSQL always makes part of another object (an
    /// internal dependency the walk would find anyway), left out before it looks: a relation's
    /// row type, every array type, a foreign key's internal triggers.
    private static let parts: [String: String] = [
        "pg_type": " and x.typrelid = 0 and not (x.typcategory = 'A' and x.typelem <> 0)",
        "pg_trigger": " and not x.tgisinternal",
    ]

    /// The catalogs of `names` the census walks, in the order of `walk`'s parameters: those
    /// whose rows are objects, and any it does not know.
    static func walked(_ names: [String]) -> [String] {
        names.sorted().filter { name in
            switch catalogs[name] {
            case .objects?, nil: true
            case .partOf?, .data?, .bookkeeping?, .cluster?: false
            }
        }
    }

    /// Where the rows of `catalog` are read: the catalog itself, or for one that only
    /// superusers may read, the view PostgreSQL offers everyone in its place (same columns).
    static func source(_ catalog: String) -> String {
        switch catalog {
        case "pg_user_mapping":
            "(select umid as oid, umuser, srvid as umserver, umoptions from pg_catalog.pg_user_mappings)"
        default:
            "pg_catalog.\(catalog)"
        }
    }

    /// A partition's column default that is its parent's (copied when the partition was
    /// made); one of its own differs and is not derived.
    private static let partitionDefault = """
        select 1 from pg_attrdef ad
        join pg_class c on c.oid = ad.adrelid and c.relispartition
        join pg_attribute a on a.attrelid = ad.adrelid and a.attnum = ad.adnum
        join pg_inherits i on i.inhrelid = ad.adrelid
        join pg_attribute pa on pa.attrelid = i.inhparent and pa.attname = a.attname
        join pg_attrdef pd on pd.adrelid = pa.attrelid and pd.adnum = pa.attnum
        where p.catalog = 'pg_attrdef' and ad.oid = p.objid
          and pg_get_expr(ad.adbin, ad.adrelid) = pg_get_expr(pd.adbin, pd.adrelid)
        """

    /// A trigger a partitioned table's trigger made on a partition (PostgreSQL 13 on).
    private static let clonedTrigger = """
        or exists (select 1 from pg_trigger tg where p.catalog = 'pg_trigger'
                   and tg.oid = p.objid and tg.tgparentid <> 0)
        """

    /// The system catalogs of this server that have an `oid` column (the census walks
    /// those) and are not shared between databases, with whether any row is a user object
    /// (the walk skips the others: planning it costs more than the rows).
    static let catalogsWithOids = """
        select c.relname,
               query_to_xml(format('select 1 as x from %s where oid >= 16384 limit 1',
                                   case c.relname when 'pg_user_mapping'
                                        then '(select umid as oid from pg_catalog.pg_user_mappings) u'
                                        else 'pg_catalog.' || quote_ident(c.relname) end),
                            false, true, '')::text <> ''
        from pg_class c
        where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r' and not c.relisshared
          and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'oid' and a.attnum > 0)
          and (has_table_privilege(c.oid, 'SELECT') or c.relname = 'pg_user_mapping')
        order by 1
        """
}

extension CatalogCensus {
    /// A column of a catalog, with the catalog its value points to (by oid) when it does.
    struct CatalogColumn {
        var name: String
        var type: String
        /// The catalog an oid (or array of oids) in this column points to.
        var references: String?
        var isArray = false
    }

    /// Columns of the catalogs `$1` (names), with the catalogs they point to where
    /// PostgreSQL says (`pg_get_catalog_foreign_keys`, from PostgreSQL 14; before it an oid
    /// is compared as a number, which differs between databases and so is refused, never
    /// silently equal).
    static func catalogColumns(serverVersion: Int) -> String {
        let keys = serverVersion >= 140000 ? """
            left join (select fktable::text as fktable, fkcols[1] as fkcol, pktable::text as pktable, is_array
                       from pg_get_catalog_foreign_keys() where cardinality(fkcols) = 1) k
              on k.fktable = c.relname and k.fkcol = a.attname
            """ : "left join (select null::text as pktable, null::bool as is_array) k on false"
        return """
            select c.relname, a.attname, format_type(a.atttypid, null), k.pktable, coalesce(k.is_array, false)
            from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            \(keys)
            where c.relnamespace = 'pg_catalog'::regnamespace and c.relname = any($1::text[])
            order by c.relname, a.attnum
            """
    }

    /// The identity and a definition of the rows `$1` (oids) of `catalog`, for objects the
    /// model does not hold: every column of the row, in words that do not depend on oids
    /// (what an oid points to is named), owners and grants relative to the connecting role,
    /// comments, and what belongs to the object in other catalogs.
    static func describe(_ catalog: String, columns: [CatalogColumn]) -> String {
        let body: [String]
        if catalog == "pg_class" {
            body = [relationDefinition]
        } else {
            body = columns.filter { $0.name != "oid" }.map { "'\($0.name): ' || coalesce(\(value($0)), '-')" }
                + (satellites[catalog] ?? [])
        }
        let comment = "'comment: ' || obj_description(x.oid, '\(catalog)')"
        return """
            select x.oid, i.type, i.identity, concat_ws(E'\\n', \((body + [comment]).joined(separator: ",\n    ")))
            from \(source(catalog)) x, pg_identify_object('\(catalog)'::regclass, x.oid, 0) i
            where x.oid = any($1::oid[])
            """
    }

    /// A column's value as text that means the same in every database.
    static func value(_ column: CatalogColumn) -> String {
        let field = "x.\(column.name)"
        if column.type == "aclitem[]" { return grants(field) }
        if column.type == "pg_node_tree" {
            // Node trees hold oids; a digest without positions differs where the oids differ,
            // so an expression drover cannot read is refused rather than taken as equal.
            return "md5(regexp_replace(\(field)::text, ':location -?[0-9]+', '', 'g'))"
        }
        if column.name.hasSuffix("options"), column.type == "text[]" {
            return hidingSecrets(field)
        }
        guard let target = column.references else { return "\(field)::text" }
        let name = target == "pg_authid"
            ? "coalesce(nullif(pg_get_userbyid(e), current_user::text), '(the connecting role)')"
            : "(pg_identify_object('\(target)'::regclass, e, 0)).identity"
        if column.isArray {
            return "(select string_agg(case when e = 0 then 'PUBLIC' else \(name) end, ',' order by n) "
                + "from unnest(\(field)::oid[]) with ordinality u(e, n))"
        }
        return "(select case when e = 0 then null else \(name) end from (select \(field)::oid as e) v)"
    }

    /// What belongs to an object of a catalog but is kept in another one.
    static let satellites: [String: [String]] = [
        "pg_ts_config": ["""
            'mappings: ' || (select string_agg(m.maptokentype || '/' || m.mapseqno || ' '
                                               || m.mapdict::regdictionary::text,
                                               ',' order by m.maptokentype, m.mapseqno)
                             from pg_ts_config_map m where m.mapcfg = x.oid)
            """],
        "pg_opfamily": ["""
            'operators: ' || (select string_agg(o.amopstrategy || ' ' || o.amopopr::regoperator::text
                                                || ' ' || o.amoppurpose::text
                                                || coalesce(' order by ' || (pg_identify_object(
                                                       'pg_opfamily'::regclass, nullif(o.amopsortfamily, 0), 0)).identity,
                                                       ''),
                                                ',' order by o.amopstrategy, o.amoplefttype::regtype::text,
                                                             o.amoprighttype::regtype::text)
                              from pg_amop o where o.amopfamily = x.oid)
            """, """
            'functions: ' || (select string_agg(p.amprocnum || ' (' || p.amproclefttype::regtype::text || ', '
                                                || p.amprocrighttype::regtype::text || ') '
                                                || p.amproc::regprocedure::text,
                                                ',' order by p.amprocnum, p.amproclefttype::regtype::text,
                                                             p.amprocrighttype::regtype::text)
                              from pg_amproc p where p.amprocfamily = x.oid)
            """],
    ]

    /// Options (`text[]` of `key=value`) with those that look like secrets shown as a digest: a
    /// change is seen, the value never printed (`ForeignOptions.isSecret`'s words).
    static func hidingSecrets(_ field: String) -> String {
        """
        (select string_agg(case when \(CatalogQueries.secretOption("o"))
                                then split_part(o, '=', 1) || '=(hidden, md5 ' || md5(o) || ')' else o end,
                           ',' order by o) from unnest(\(field)) o)
        """
    }

    /// A relation the model does not hold (a foreign table, an index cloned under another
    /// name …): its kind, columns, constraints, index definition and foreign-table options.
    static let relationDefinition = """
        'kind: ' || x.relkind::text,
            'columns: ' || (select string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                                              || case when a.attnotnull then ' not null' else '' end
                                              || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                                              || case when a.attislocal then '' else ' inherited' end
                                              || coalesce(' options ' || \(hidingSecrets("a.attfdwoptions")), ''),
                                              ', ' order by a.attname)
                            from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                            where a.attrelid = x.oid and a.attnum > 0 and not a.attisdropped),
            'inherits: ' || (select string_agg(h.inhparent::regclass::text, ', ' order by h.inhseqno)
                             from pg_inherits h where h.inhrelid = x.oid),
            'constraints: ' || (select string_agg(pg_get_constraintdef(co.oid), ', ' order by co.conname)
                                from pg_constraint co where co.conrelid = x.oid),
            'index: ' || case when x.relkind in ('i', 'I') then pg_get_indexdef(x.oid) end,
            'server: ' || (select s.srvname from pg_foreign_table f join pg_foreign_server s on s.oid = f.ftserver
                           where f.ftrelid = x.oid),
            'options: ' || (select \(hidingSecrets("f.ftoptions")) from pg_foreign_table f where f.ftrelid = x.oid),
            'owner: ' || nullif(pg_get_userbyid(x.relowner), current_user::text)
        """
}

extension CatalogCensus {
    /// Attributes of modelled objects that the model does not hold yet, by catalog: each an
    /// expression over the row `x` that is NULL in the usual case (so only unusual objects
    /// are named) and means the same in every database. A difference is refused.
    static let comparedAttributes: [String: [(label: String, sql: String)]] = [
        "pg_class": [
            ("tablespace", "(select t.spcname::text from pg_tablespace t where t.oid = x.reltablespace)"),
            ("access method", """
                case when x.relkind in ('r', 'm')
                     then nullif((select am.amname::text from pg_am am where am.oid = x.relam), 'heap') end
                """),
            ("typed table of", "case when x.reloftype <> 0 then format_type(x.reloftype, null) end"),
        ],
    ]

    /// The grants of the ACL `field`, relative to the connecting role (whose are its own).
    static func grants(_ field: String) -> String {
        """
        (select string_agg(case when a.grantee = 0 then 'PUBLIC'
                                else coalesce(nullif(pg_get_userbyid(a.grantee), current_user::text), '(owner)') end
                           || ':' || a.privilege_type || case when a.is_grantable then '*' else '' end, ',' order by 1)
         from aclexplode(\(field)) a)
        """
    }

    /// For each catalog of `comparedAttributes`, a cheap test that a row has any of them (no
    /// subquery per row), so that the attributes are worked out for those rows only.
    static let comparedFilter: [String: String] = [
        "pg_class": """
            x.reltablespace <> 0 or x.reloftype <> 0
            or (x.relkind in ('r', 'm') and x.relam <> (select am.oid from pg_am am where am.amname = 'heap'))
            """,
    ]

    /// The compared attributes of the rows `$1` (oids) of `catalog` that have any, with the
    /// rows' identity.
    static func compared(_ catalog: String) -> String? {
        guard let attributes = comparedAttributes[catalog] else { return nil }
        let values = attributes.map { "'\($0.label): ' || (\($0.sql))" }.joined(separator: ",\n    ")
        let filter = comparedFilter[catalog].map { " and (\($0))" } ?? ""
        return """
            select v.oid, i.type, i.identity, v.attributes
            from (select x.oid, concat_ws(E'\\n', \(values)) as attributes
                  from pg_catalog.\(catalog) x where x.oid = any($1::oid[])\(filter)) v,
                 pg_identify_object('\(catalog)'::regclass, v.oid, 0) i
            where v.attributes <> ''
            """
    }
}

/// An object by catalog and oid.
struct CatalogObject: Hashable {
    var catalog: String
    var oid: UInt32
}

extension SchemaInspector {
    typealias Each = (String, [String?]?, (ResultRow) throws -> Void) throws -> Void

    /// The catalogs with oids that hold a user object (see `CatalogCensus.catalogsWithOids`):
    /// the census walks those, and a kind whose catalog holds none is not queried at all.
    func catalogsWithUserObjects(each: Each) throws -> Set<String> {
        var catalogs = Set<String>()
        try each(CatalogCensus.catalogsWithOids, []) { if $0.isTrue(1) { catalogs.insert($0[0]!) } }
        return catalogs
    }

    /// The census of the database (see `CatalogCensus`): the objects of the managed schemas
    /// and of the database that are not `accounted` (read into the model), described; and the
    /// attributes the model does not hold of those that are.
    func census(accounted: Set<CatalogObject>, catalogs: [String], version: Int, schemas: String?,
                each: Each) throws -> (unmanaged: [ObjectRef], attributes: [ObjectRef]) {
        var held: [String: [UInt32]] = [:]
        for object in accounted { held[object.catalog, default: []].append(object.oid) }
        var missing: [String: [UInt32]] = [:]
        var present = held
        let walked = CatalogCensus.walked(catalogs)
        let parameters = [schemas] + walked.map { arrayLiteral(held[$0] ?? []) }
        var found: [CatalogObject] = []
        if !walked.isEmpty {
            try each(CatalogCensus.walk(catalogs, serverVersion: version), parameters) { row in
                found.append(CatalogObject(catalog: row[0]!, oid: row.unsigned(1)!))
            }
        }
        var derived = Set<CatalogObject>()
        if !found.isEmpty {
            try each(CatalogCensus.derived(serverVersion: version),
                     [textArrayLiteral(found.map(\.catalog)), arrayLiteral(found.map(\.oid))]) { row in
                derived.insert(CatalogObject(catalog: row[0]!, oid: row.unsigned(1)!))
            }
        }
        // The walk leaves out what the model holds: a row it finds is derived or unmanaged.
        for object in found {
            if derived.contains(object) {
                present[object.catalog, default: []].append(object.oid)
            } else {
                missing[object.catalog, default: []].append(object.oid)
            }
        }
        var unmanaged: [ObjectRef] = []
        if !missing.isEmpty {
            var columns: [String: [CatalogCensus.CatalogColumn]] = [:]
            let names = [textArrayLiteral(Array(missing.keys))]
            try each(CatalogCensus.catalogColumns(serverVersion: version), names) { row in
                columns[row[0]!, default: []].append(.init(name: row[1]!, type: row[2]!, references: row[3],
                                                           isArray: row.isTrue(4)))
            }
            for (catalog, oids) in missing {
                let sql = CatalogCensus.describe(catalog, columns: columns[catalog] ?? [])
                try each(sql, [arrayLiteral(oids)]) { row in
                    unmanaged.append(ObjectRef(kind: row[1]!, identity: row[2]!, definition: row[3] ?? ""))
                }
            }
        }
        var attributes: [ObjectRef] = []
        for (catalog, oids) in present {
            guard let sql = CatalogCensus.compared(catalog) else { continue }
            try each(sql, [arrayLiteral(oids)]) { row in
                attributes.append(ObjectRef(kind: row[1]!, identity: row[2]!, definition: row[3] ?? ""))
            }
        }
        let order: (ObjectRef, ObjectRef) -> Bool = { ($0.kind, $0.identity) < ($1.kind, $1.identity) }
        return (unmanaged.sorted(by: order), attributes.sorted(by: order))
    }
}

extension CatalogCensus {
    /// How drover treats a column of a catalog whose rows it models.
    enum Attribute: Equatable {
        /// Names the object (oid, name, schema, owning table).
        case identity
        /// Held by the model (directly or in a definition PostgreSQL prints).
        case modelled
        /// Follows from what is modelled (a type's length, a constraint's index, counts).
        case derived
        /// Compared by `comparedAttributes`; a difference is refused.
        case compared
        /// The state of the data or of maintenance, not the schema (sizes, freeze horizons,
        /// a collation's library version, an extension's installed version).
        case state
    }

    /// Every column of the catalogs whose rows drover models, by use. The census test fails
    /// when the server has a column not listed here.
    static let attributes: [String: [String: Attribute]] = {
        let table: [String: [Attribute: String]] = [
            "pg_class": [
                .identity: "oid relname relnamespace",
                .modelled: """
                    relowner relpersistence relkind relrowsecurity relforcerowsecurity relreplident relispartition \
                    relacl reloptions relpartbound
                    """,
                .derived: """
                    reltype relnatts relchecks relhasrules relhastriggers relhassubclass relhasindex relisshared \
                    reltoastrelid
                    """,
                .compared: "relam reltablespace reloftype",
                .state: """
                    relfilenode relpages reltuples relallvisible relfrozenxid relminmxid relrewrite relispopulated
                    """,
            ],
            "pg_attribute": [
                .identity: "attrelid attname attnum",
                .modelled: """
                    atttypid atttypmod attnotnull attidentity attgenerated attstattarget attstorage attcompression \
                    attislocal attcollation attacl attoptions attfdwoptions
                    """,
                .derived: "attlen attndims attcacheoff attbyval attalign atthasdef attinhcount attisdropped",
                .state: "atthasmissing attmissingval",
            ],
            "pg_foreign_table": [.identity: "ftrelid", .modelled: "ftserver ftoptions"],
            "pg_index": [
                .identity: "indexrelid indrelid",
                .modelled: """
                    indnatts indnkeyatts indisunique indnullsnotdistinct indisprimary indisexclusion indimmediate \
                    indkey indcollation indclass indoption indexprs indpred indisreplident indisclustered \
                    indisvalid indisready
                    """,
                .state: "indcheckxmin indislive",
            ],
            "pg_constraint": [
                .identity: "oid conname connamespace conrelid contypid",
                .modelled: """
                    contype condeferrable condeferred convalidated confrelid confupdtype confdeltype confmatchtype \
                    connoinherit conkey confkey conexclop conbin confdelsetcols conperiod conenforced
                    """,
                .derived: "conindid conparentid conislocal coninhcount conpfeqop conppeqop conffeqop",
            ],
            "pg_proc": [
                .identity: "oid proname pronamespace proargtypes",
                .modelled: """
                    proowner prolang procost prorows provariadic prosupport prokind prosecdef proleakproof \
                    proisstrict proretset provolatile proparallel prorettype proallargtypes proargmodes proargnames \
                    proargdefaults protrftypes prosrc probin prosqlbody proconfig proacl
                    """,
                .derived: "pronargs pronargdefaults",
            ],
            "pg_type": [
                .identity: "oid typname typnamespace",
                .modelled: """
                    typowner typtype typnotnull typbasetype typtypmod typcollation typdefaultbin typdefault typacl \
                    typrelid
                    """,
                .derived: """
                    typlen typbyval typcategory typispreferred typisdefined typdelim typsubscript typelem typarray \
                    typinput typoutput typreceive typsend typmodin typmodout typanalyze typalign typstorage typndims
                    """,
            ],
            "pg_trigger": [
                .identity: "oid tgrelid tgname",
                .modelled: """
                    tgfoid tgtype tgenabled tgconstrrelid tgdeferrable tginitdeferred tgnargs tgattr tgargs tgqual \
                    tgoldtable tgnewtable
                    """,
                .derived: "tgparentid tgisinternal tgconstrindid tgconstraint",
            ],
            "pg_policy": [.identity: "oid polname polrelid", .modelled: """
                polcmd polpermissive polroles polqual polwithcheck
                """],
            "pg_rewrite": [.identity: "oid rulename ev_class", .modelled: """
                ev_type ev_enabled is_instead ev_qual ev_action
                """],
            "pg_namespace": [.identity: "oid nspname", .modelled: "nspacl nspowner"],
            "pg_collation": [
                .identity: "oid collname collnamespace",
                .modelled: """
                    collowner collprovider collisdeterministic collcollate collctype colliculocale collicurules \
                    colllocale
                    """,
                .derived: "collencoding", .state: "collversion",
            ],
            "pg_statistic_ext": [.identity: "oid stxname stxnamespace stxrelid",
                                 .modelled: "stxowner stxstattarget stxkeys stxkind stxexprs"],
            "pg_sequence": [.identity: "seqrelid", .modelled: """
                seqtypid seqstart seqincrement seqmax seqmin seqcache seqcycle
                """],
            // An extension's owner is whoever created it and its version what was installed:
            // the declaring statement names neither.
            "pg_extension": [.identity: "oid extname", .modelled: "extnamespace",
                             .derived: "extowner extrelocatable extconfig extcondition", .state: "extversion"],
            "pg_opfamily": [.identity: "oid opfname opfnamespace opfmethod", .modelled: "opfowner"],
            "pg_opclass": [.identity: "oid opcname opcnamespace opcmethod",
                           .modelled: "opcowner opcfamily opcintype opcdefault opckeytype"],
            "pg_amop": [.identity: "oid amopfamily amoplefttype amoprighttype amopstrategy",
                        .modelled: "amoppurpose amopopr amopsortfamily", .derived: "amopmethod"],
            "pg_amproc": [.identity: "oid amprocfamily amproclefttype amprocrighttype amprocnum", .modelled: "amproc"],
            "pg_publication": [.identity: "oid pubname", .modelled: """
                pubowner puballtables pubinsert pubupdate pubdelete pubtruncate pubviaroot
                """],
            "pg_publication_rel": [.identity: "oid prpubid prrelid", .modelled: "prqual prattrs"],
            "pg_publication_namespace": [.identity: "oid pnpubid pnnspid"],
            "pg_foreign_data_wrapper": [.identity: "oid fdwname", .modelled: """
                fdwowner fdwhandler fdwvalidator fdwoptions fdwacl
                """],
            "pg_foreign_server": [.identity: "oid srvname",
                                  .modelled: "srvowner srvfdw srvtype srvversion srvoptions srvacl"],
            "pg_user_mapping": [.identity: "oid umuser umserver", .modelled: "umoptions"],
            // Its owner is whoever created it (a superuser): see `EventTrigger`.
            "pg_event_trigger": [.identity: "oid evtname", .modelled: "evtevent evtfoid evtenabled evttags",
                                 .derived: "evtowner"],
            "pg_default_acl": [.identity: "oid defaclrole defaclnamespace defaclobjtype", .modelled: "defaclacl"],
            "pg_attrdef": [.identity: "oid adrelid adnum", .modelled: "adbin"],
            "pg_partitioned_table": [.identity: "partrelid", .modelled: """
                partstrat partnatts partattrs partclass partcollation partexprs
                """,
                                     .derived: "partdefid"],
            "pg_inherits": [.identity: "inhrelid inhparent", .modelled: "inhseqno", .state: "inhdetachpending"],
            "pg_enum": [.identity: "oid enumtypid", .modelled: "enumlabel enumsortorder"],
            "pg_ts_dict": [.identity: "oid dictname dictnamespace", .modelled: "dictowner dicttemplate dictinitoption"],
            "pg_ts_config": [.identity: "oid cfgname cfgnamespace", .modelled: "cfgowner cfgparser"],
            "pg_ts_config_map": [.identity: "mapcfg maptokentype mapseqno", .modelled: "mapdict"],
            "pg_range": [.identity: "rngtypid", .modelled: """
                rngsubtype rngmultitypid rngcollation rngsubopc rngcanonical rngsubdiff
                """],
            "pg_aggregate": [.identity: "aggfnoid", .modelled: """
                aggkind aggnumdirectargs aggtransfn aggfinalfn aggcombinefn aggserialfn aggdeserialfn aggmtransfn \
                aggminvtransfn aggmfinalfn aggfinalextra aggmfinalextra aggfinalmodify aggmfinalmodify aggsortop \
                aggtranstype aggtransspace aggmtranstype aggmtransspace agginitval aggminitval
                """],
        ]
        return table.mapValues { uses in
            var columns: [String: Attribute] = [:]
            for (use, names) in uses {
                for name in names.split(separator: " ") { columns[String(name)] = use }
            }
            return columns
        }
    }()
}
