CREATE TABLE plan (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO plan VALUES (1, 'free'), (2, 'pro'), (9, 'retired');
CREATE TABLE account (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, plan_id int REFERENCES plan);
INSERT INTO account (plan_id) VALUES (1), (2);
