-- Directory login (issue 22, item 2): an account whose password the city's directory (LDAP,
-- Active Directory) checks. It is created at the person's first login from the directory's
-- entry; `directory_dn` names that entry, and the account has no password of its own.
ALTER TABLE accounts ADD COLUMN directory_dn TEXT;
CREATE UNIQUE INDEX accounts_directory_dn ON accounts (directory_dn);
