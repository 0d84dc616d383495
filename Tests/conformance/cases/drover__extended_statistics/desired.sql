create table t (a int, b int, c text);
create statistics s_ab (dependencies) on a, b from t;
alter statistics s_ab set statistics 200;
create statistics s_expr on (a + b), lower(c) from t;
comment on statistics s_expr is 'sums';
