create sequence a;
create unlogged sequence b;
