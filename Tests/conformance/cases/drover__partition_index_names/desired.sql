create table m (id int, at date not null, primary key (id, at)) partition by range (at);
create table m_2024 partition of m for values from ('2024-01-01') to ('2025-01-01');
create table m_2025 partition of m for values from ('2025-01-01') to ('2026-01-01');
create index m_at on only m (at);
create index m_2024_at_custom on m_2024 (at);
alter index m_at attach partition m_2024_at_custom;
create index m_2025_by_at on m_2025 (at);
alter index m_at attach partition m_2025_by_at;
create index m_id on m (id);
