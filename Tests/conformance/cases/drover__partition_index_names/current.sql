create table m (id int, at date not null) partition by range (at);
create table m_2024 partition of m for values from ('2024-01-01') to ('2025-01-01');
create index m_at on m (at);
