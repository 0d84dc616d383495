create table items (id int primary key, price int not null);
create view priced as select null::int as id, null::int as price;
create function priced_items() returns setof priced language sql stable as 'select id, price from items';
create or replace view priced as select p.id, p.price from priced_items() p where p.price > 0;
