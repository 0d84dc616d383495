create table t (id int primary key, k int not null);
create unique index t_k on t (k);
create table p (id int, at date not null) partition by range (at);
create table p1 partition of p for values from ('2024-01-01') to ('2025-01-01');
