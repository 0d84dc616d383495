create type public.version as (major integer, minor integer);
create function public.version_cmp(a public.version, b public.version) returns integer language sql immutable
    as 'select case when a < b then -1 when a > b then 1 else 0 end';
create function public.version_lt(a public.version, b public.version) returns boolean language sql immutable
    as 'select public.version_cmp(a, b) < 0';
create function public.version_eq(a public.version, b public.version) returns boolean language sql immutable
    as 'select public.version_cmp(a, b) = 0';
create function public.version_gt(a public.version, b public.version) returns boolean language sql immutable
    as 'select public.version_cmp(a, b) > 0';
create operator public.<< (leftarg = public.version, rightarg = public.version, function = public.version_lt);
create operator public.== (leftarg = public.version, rightarg = public.version, function = public.version_eq);
create operator public.>> (leftarg = public.version, rightarg = public.version, function = public.version_gt);
create operator class public.version_ops for type public.version using btree as
    operator 1 public.<<, operator 3 public.==, operator 5 public.>>, function 1 public.version_cmp(public.version, public.version);
comment on operator family public.version_ops using btree is 'by major, then minor';
create table public.releases (v public.version not null);
create index releases_v on public.releases (v public.version_ops);
