/* commands.h: the subcommands of the plenary binary besides `serve` (main.c). Each takes
 * the arguments after its name, prints its own --help, and returns the process exit code:
 * 0 success, 1 failure, 2 bad usage. */
#ifndef PLENARY_COMMANDS_H
#define PLENARY_COMMANDS_H

/* plenary init [--db FILE] [--with-fixtures]: create or migrate the schema. */
int cmd_init(int argc, char **argv);
/* plenary import [--db FILE] FILE: load a record document, all or nothing. */
int cmd_import(int argc, char **argv);
/* plenary export [--db FILE] [--out FILE]: write the whole record as a document. */
int cmd_export(int argc, char **argv);
/* plenary generate --scale N --seed S ...: a realistic synthetic record for scale tests. */
int cmd_generate(int argc, char **argv);

#endif
