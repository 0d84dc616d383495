create table m (id integer, at date not null) partition by range (at);
create table m_2024 partition of m for values from ('2024-01-01') to ('2025-01-01');
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
create index m_at on m (at);
create index m_year on only m ((extract(year from at)));
create index m_2024_year on m_2024 ((extract(year from at))) with (fillfactor = 60);
alter index m_year attach partition m_2024_year;
create index m_2025_year on m_2025 ((extract(year from at)));
alter index m_year attach partition m_2025_year;
