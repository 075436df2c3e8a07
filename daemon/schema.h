/* The schema as numbered migrations. */
#ifndef PPGD_SCHEMA_H
#define PPGD_SCHEMA_H

/* The newest schema version. */
int schema_latest(void);
/* The SQL taking version-1 to version, or NULL. */
const char *schema_migration(int version);

#endif
