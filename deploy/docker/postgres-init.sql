-- one database per service: no service reads another's
CREATE DATABASE intake;
CREATE DATABASE housing;
CREATE DATABASE aid;
