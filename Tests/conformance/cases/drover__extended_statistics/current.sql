create table t (a int, b int, c text);
create statistics s_ab on a, b from t;
