create table items (id int primary key, price int not null);
