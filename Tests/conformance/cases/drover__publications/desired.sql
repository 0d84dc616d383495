create schema app;
create table app.orders (id integer primary key, customer text, amount integer);
create table app.notes (id bigint primary key, body text, at timestamptz);
create table app.base (id integer);
create table app.child (extra text) inherits (app.base);
create publication orders_pub for table app.orders (id, amount) where (amount > 100), table only app.notes
    with (publish = 'insert, update, delete', publish_via_partition_root = true);
create publication everything for table app.orders;
create publication tree for table only app.base;
create publication by_schema for tables in schema app;
comment on publication orders_pub is 'to the warehouse, big orders only';
