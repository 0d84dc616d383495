create unlogged sequence a;
create sequence b;
create unlogged sequence c;
create unlogged table u (id int);
