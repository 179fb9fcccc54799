DROP TABLE patient_name_tokens;
DROP TABLE patients;
DROP TABLE login_failures;
DROP TABLE users;
